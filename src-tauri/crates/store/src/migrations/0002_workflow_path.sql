-- 0002: where the workflow file was when the run started (absolute), so
-- `resume` and `rerun` resolve the agents' relative paths against the
-- same folder. NULL for runs recorded without a file.
ALTER TABLE runs ADD COLUMN workflow_path TEXT;
