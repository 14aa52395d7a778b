-- 0005 (format revision 2): loops, feedback, people's decisions.
--
-- Attempt numbers count on across a loop's rounds, so every round's
-- attempts keep their own rows under the existing key; `round` says which
-- round of the innermost loop each belongs to (NULL means 1: outside
-- loops, and rows written before loops existed). `recommendations` and `errors` are
-- what the agent returned beside its verdict (JSON lists).
ALTER TABLE attempts ADD COLUMN round INTEGER;
ALTER TABLE attempts ADD COLUMN recommendations TEXT;
ALTER TABLE attempts ADD COLUMN errors TEXT;

-- Pending and decided approvals. A request is keyed by the step, its map
-- element (-1: none) and the rounds of every loop around it ("2.1"), so a
-- resumed run finds its request (and its deadline) again, and a decision
-- made while no process followed the run is waiting for it.
CREATE TABLE approval_requests (
    run_id          TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    step            TEXT NOT NULL,
    element         INTEGER NOT NULL DEFAULT -1,
    rounds          TEXT NOT NULL DEFAULT '1',
    prompt          TEXT NOT NULL,
    shown           TEXT NOT NULL,           -- JSON object: the `show` keys and values
    requested_at_ms INTEGER NOT NULL,
    deadline_ms     INTEGER,
    decided_at_ms   INTEGER,
    decided_by      TEXT,                    -- the OS user
    approved        INTEGER,
    score           REAL,
    note            TEXT,
    PRIMARY KEY (run_id, step, element, rounds)
) WITHOUT ROWID;
