-- 0003: a compact digest of each finished run (per-step duration, attempts,
-- retries, queued time, critical path), computed once by the engine's
-- analytics so trend reports over thousands of runs read one small row per
-- run instead of re-folding every run's events.
CREATE TABLE digests (
    run_id TEXT PRIMARY KEY REFERENCES runs (run_id) ON DELETE CASCADE,
    workflow_id TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    digest TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX digests_by_workflow ON digests (workflow_id, started_at_ms DESC);
