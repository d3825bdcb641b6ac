-- Rollups folded after the commit instead of inside it, as the SQLite ledger does since its
-- script 0005 (issue #10, item 7): ingest writes only ledger rows and attributions, and a view of
-- a month reads a row per day and value.
--
-- PostgresUsageLedger folds committed ledger rows into the rollups afterwards, in commit order,
-- and records in usage_rollup_folded the commit position up to which the rollups hold every row.
-- A usage view reads the rollups and the ledger rows after that position in one snapshot, so it
-- is exactly the ledger whether the rows are folded yet or not. A fold only takes rows of
-- transactions below the oldest one still running (the export's horizon, script 0003), so a
-- transaction that commits late is never passed over.
--
-- The rollups are derived data: this script empties the ones script 0003 wrote and puts the
-- position at the start, and the first folds rebuild them from the ledger, every row of which is
-- kept. Until then views read the ledger rows themselves, exact but slower.

-- How far the rollups go: every ledger row at or before (through_xact, through_number) in commit
-- order is in them, none after. One row; a fold locks it (FOR UPDATE), so folds of several silos
-- take turns, each from the position the last one stored.
CREATE TABLE usage_rollup_folded (
    only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    through_xact   xid8    NOT NULL,
    through_number bigint  NOT NULL
);

-- The start: before every row, the migrated ones of transaction 0 (numbered from 1) included.
INSERT INTO usage_rollup_folded (through_xact, through_number) VALUES ('0', 0);

-- Projection rows: the sums of the full rows' columns per UTC minute, hour and day for one
-- dimension's value (dimension is its field name, value '' where absent), or for the whole
-- environment (dimension '' and value ''), apart for keys bound at ingest. A query that groups and
-- filters by at most one dimension reads these: a month by model is a row per day and model.
-- Its sums are the full rows' columns (LIKE copies their types, collations and NOT NULL), its
-- key environment, tier, dimension, start, value and binding.
CREATE TABLE usage_rollup_by (LIKE usage_rollup_minute) WITH (fillfactor = 70);
ALTER TABLE usage_rollup_by
    DROP COLUMN dp_id, DROP COLUMN api_key_id, DROP COLUMN model_id, DROP COLUMN provider_key_id,
    DROP COLUMN team_id, DROP COLUMN member_id, DROP COLUMN status_class, DROP COLUMN attempt_kind,
    ADD COLUMN tier      text COLLATE "C" NOT NULL CHECK (tier IN ('minute', 'hour', 'day')),
    ADD COLUMN dimension text COLLATE "C" NOT NULL,
    ADD COLUMN value     text COLLATE "C" NOT NULL,
    -- A view reads some environments, one tier and one dimension, over a time range.
    ADD PRIMARY KEY (environment_id, tier, dimension, bucket_start, value, key_bound);

-- The fold reads the ledger in commit order across every environment.
CREATE INDEX usage_ledger_in_commit_order ON usage_ledger (commit_xact, commit_number);

-- The full rows: emptied, as the position at the start says, and the first folds sum every
-- ledger row into them again. Renamed too, so that a silo of the version before, which upserts
-- rollups in its group's transaction, has its groups refused during a rolling upgrade instead of
-- counting their rows twice (once there, once when they are folded).
TRUNCATE usage_rollup_minute, usage_rollup_hour;
ALTER TABLE usage_rollup_minute RENAME TO usage_rollup_full_minute;
ALTER TABLE usage_rollup_hour RENAME TO usage_rollup_full_hour;
