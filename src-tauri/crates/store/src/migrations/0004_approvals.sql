-- 0004: import quarantine. A workflow file that executes anything (shell,
-- http, llm or workflow steps) runs only once a person has approved its
-- exact content: the sha256 of the file's bytes. Shared by the CLI
-- (`braid run --trust`) and the desktop app's review screen. Nothing here
-- is ever deleted with runs: an approval outlives the runs it allowed.
CREATE TABLE approvals (
    hash           TEXT PRIMARY KEY,         -- sha256 (hex) of the file bytes approved
    approved_at_ms INTEGER NOT NULL,
    path           TEXT                      -- where the file was when approved (informational)
) WITHOUT ROWID;
