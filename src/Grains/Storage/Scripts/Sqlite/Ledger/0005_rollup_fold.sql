-- Rollups folded after the commit instead of inside it (issue #10, item 7: rollups that cost
-- ingest next to nothing, and views of a month that read one row per day and value).
--
-- The ledger writer now writes only ledger rows. SqliteUsageLedger folds the committed rows into
-- the rollups afterwards and records in usage_rollup_folded the position up to which they hold
-- every row; a usage view reads the rollups and adds the ledger rows after that position, in one
-- snapshot, so it stays exactly the ledger. The rollups are derived data: this script drops the
-- old ones and sets the position to 0, and the first folds rebuild them from the ledger rows,
-- every one of which is kept.

DROP TABLE usage_rollup;
DROP TABLE usage_rollup_backfill;

-- The keys of full rollup rows: one id per combination of dimensions that occurred. An absent
-- dimension is ''. Written by folds only, under the write lock; an id never changes.
CREATE TABLE usage_rollup_key (
    id              INTEGER PRIMARY KEY,
    environment_id  TEXT    NOT NULL,
    dp_id           TEXT    NOT NULL,
    api_key_id      TEXT    NOT NULL,
    model_id        TEXT    NOT NULL,
    provider_key_id TEXT    NOT NULL,
    team_id         TEXT    NOT NULL,
    member_id       TEXT    NOT NULL,
    status_class    TEXT    NOT NULL,
    attempt_kind    TEXT    NOT NULL,
    key_bound       INTEGER NOT NULL,
    UNIQUE (environment_id, dp_id, api_key_id, model_id, provider_key_id, team_id, member_id, status_class, attempt_kind, key_bound)
);

-- Full rows: the sums of a key's ledger rows per UTC minute and hour. The sums are one blob
-- (UsageTotalsCodec: counts, exact decimal amounts, latency histograms) that the fold adds to in
-- C# and writes whole; SQL never adds them. Keyed by environment, tier and start first, which is
-- how views read them.
CREATE TABLE usage_rollup (
    environment_id TEXT    NOT NULL,
    tier           TEXT    NOT NULL CHECK (tier IN ('minute', 'hour')),
    start_ms       INTEGER NOT NULL,
    key_id         INTEGER NOT NULL REFERENCES usage_rollup_key (id),
    sums           BLOB    NOT NULL,
    PRIMARY KEY (environment_id, tier, start_ms, key_id)
) WITHOUT ROWID;

-- Projection rows: the same sums per UTC minute, hour and day for one dimension's value
-- (dimension is its field name, value '' where absent), or for the whole environment
-- (dimension ''), apart for keys bound at ingest. A query that groups and filters by at most one
-- dimension reads these: a month by model is then a row per day and model.
CREATE TABLE usage_rollup_by (
    environment_id TEXT    NOT NULL,
    tier           TEXT    NOT NULL CHECK (tier IN ('minute', 'hour', 'day')),
    dimension      TEXT    NOT NULL,
    start_ms       INTEGER NOT NULL,
    value          TEXT    NOT NULL,
    key_bound      INTEGER NOT NULL,
    sums           BLOB    NOT NULL,
    PRIMARY KEY (environment_id, tier, dimension, start_ms, value, key_bound)
) WITHOUT ROWID;

-- How far the rollups go: every ledger row with pos <= through_pos is in them, none after.
CREATE TABLE usage_rollup_folded (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    through_pos INTEGER NOT NULL
);

INSERT INTO usage_rollup_folded (id, through_pos) VALUES (1, 0);
