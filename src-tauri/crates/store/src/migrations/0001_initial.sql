-- 0001: the initial schema.
--
-- Times are milliseconds since the Unix epoch (INTEGER). JSON is stored as
-- TEXT, exactly as serde_json wrote it. A map element is stored as its index;
-- -1 in `attempts.element` means "not a map element" (a NULL there would
-- break the primary key: SQLite treats NULLs as distinct).

-- Every distinct workflow file that was ever run, deduplicated by content.
CREATE TABLE workflows (
    hash          TEXT PRIMARY KEY,          -- sha256 (hex) of the file bytes as run
    workflow_id   TEXT NOT NULL,             -- the file's `id`
    name          TEXT,                      -- the file's `name`
    source        TEXT NOT NULL,             -- the file as run, byte for byte
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX workflows_by_id ON workflows (workflow_id);

CREATE TABLE runs (
    run_id           TEXT PRIMARY KEY,       -- ULID
    workflow_id      TEXT NOT NULL,
    workflow_hash    TEXT REFERENCES workflows (hash),
    inputs           TEXT NOT NULL DEFAULT '{}',
    status           TEXT NOT NULL,          -- RunStatus, snake_case
    started_at_ms    INTEGER NOT NULL,
    finished_at_ms   INTEGER,
    time_scale       REAL NOT NULL DEFAULT 1.0,
    error            TEXT,
    owner_pid        INTEGER,                -- the process running it
    owner_start      TEXT,                   -- "<boot id>:<start time>" of that process
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    parent_run_id    TEXT REFERENCES runs (run_id) ON DELETE SET NULL
);
CREATE INDEX runs_by_started ON runs (started_at_ms DESC, run_id DESC);
CREATE INDEX runs_by_workflow ON runs (workflow_id, started_at_ms DESC, run_id DESC);
CREATE INDEX runs_by_status ON runs (status, started_at_ms DESC, run_id DESC);
CREATE INDEX runs_by_hash ON runs (workflow_hash);
CREATE INDEX runs_by_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;

-- One row per attempt of a step (per map element).
CREATE TABLE attempts (
    run_id         TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    step           TEXT NOT NULL,
    element        INTEGER NOT NULL DEFAULT -1,
    attempt        INTEGER NOT NULL,
    workflow_id    TEXT NOT NULL,            -- the run's, copied for the history index
    status         TEXT NOT NULL,            -- AttemptStatus, snake_case
    is_final       INTEGER NOT NULL DEFAULT 0, -- this attempt ended its step (element)
    queued_at_ms   INTEGER,
    started_at_ms  INTEGER,
    finished_at_ms INTEGER,
    duration_ms    INTEGER,                  -- as the agent measured it
    exit_code      INTEGER,
    score          REAL,
    approved       INTEGER,
    outputs        TEXT,
    error          TEXT,
    stdout_tail    TEXT,
    stderr_tail    TEXT,
    pid            INTEGER,
    pgid           INTEGER,
    process_start  TEXT,                     -- start marker of `pid`, for recovery
    retry_delay_ms INTEGER,                  -- the backoff that followed this attempt
    reused_from    TEXT,                     -- result taken from this run (rerun)
    PRIMARY KEY (run_id, step, element, attempt)
);
-- History medians: last N successful attempts of a step of a workflow.
CREATE INDEX attempts_history ON attempts (workflow_id, step, finished_at_ms DESC)
    WHERE status = 'succeeded' AND reused_from IS NULL;

CREATE TABLE group_aggregations (
    run_id   TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,               -- of the GroupAggregated event
    group_id TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    score    REAL,
    approved INTEGER NOT NULL,
    at_ms    INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE context_writes (
    run_id    TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,              -- of the ContextWrite event
    at_ms     INTEGER NOT NULL,
    writer    TEXT NOT NULL,
    key       TEXT NOT NULL,
    old_value TEXT,                          -- JSON; NULL when the key was new
    new_value TEXT NOT NULL,                 -- JSON
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- The event stream, verbatim: `payload` is the serialized EventKind.
-- WITHOUT ROWID (here and for the other per-run tables keyed by seq or
-- step): one B-tree keyed by (run_id, seq) instead of a table plus an
-- index, so an insert touches half the pages. The rare large row (an
-- attempt's output tails) spills to overflow pages; only it pays.
CREATE TABLE events (
    run_id  TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    at_ms   INTEGER NOT NULL,
    type    TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- Per run and step, derived from `attempts` whenever the step (or one of
-- its map elements) reaches a final state: what analytics reads.
CREATE TABLE step_metrics (
    run_id         TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    step           TEXT NOT NULL,
    workflow_id    TEXT NOT NULL,
    status         TEXT NOT NULL,
    attempts       INTEGER NOT NULL,         -- attempts run (all elements)
    elements       INTEGER NOT NULL,         -- map elements; 0 for a plain step
    queued_ms      INTEGER NOT NULL,         -- waiting for limits, summed over attempts
    run_ms         INTEGER NOT NULL,         -- attempt durations, summed
    retry_ms       INTEGER NOT NULL,         -- retry backoff, summed
    duration_ms    INTEGER NOT NULL,         -- first start to last end
    started_at_ms  INTEGER,
    finished_at_ms INTEGER,
    PRIMARY KEY (run_id, step)
) WITHOUT ROWID;
CREATE INDEX step_metrics_by_workflow ON step_metrics (workflow_id, step);
