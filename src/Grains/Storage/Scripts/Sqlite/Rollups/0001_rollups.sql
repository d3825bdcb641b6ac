-- The usage rollups of a SQLite ledger, in a file of their own beside it (ledger.db ->
-- ledger.rollups.db). SQLite has one write lock per file: with the rollups in the ledger's file, a
-- fold storing its sums held the lock the ingest writer needs, and telemetry acknowledgements
-- waited for it (seconds, once per fold, at high cardinality). Here the ledger writer and the fold
-- never wait for each other. Everything in this file is derived from the ledger rows: it can be
-- deleted at any time, and the ledger then refolds from its first row.

-- The keys of full rollup rows: one id per combination of dimensions that occurred. An absent
-- dimension is ''. Written by folds only, under this file's write lock; an id never changes.
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

-- Full rows: a key's sums per UTC minute and hour, as one blob (UsageTotalsCodec) that the fold
-- adds to in C# and writes whole. Views read them by environment, tier and time range.
CREATE TABLE usage_rollup (
    environment_id TEXT    NOT NULL,
    tier           TEXT    NOT NULL CHECK (tier IN ('minute', 'hour')),
    start_ms       INTEGER NOT NULL,
    key_id         INTEGER NOT NULL REFERENCES usage_rollup_key (id),
    sums           BLOB    NOT NULL,
    PRIMARY KEY (environment_id, tier, start_ms, key_id)
) WITHOUT ROWID;

-- Projection rows: the sums per UTC minute, hour and day of one dimension's value (dimension is
-- its field name, value '' where absent) or of the whole environment (dimension ''), apart for
-- keys bound at ingest. Queries that group and filter by at most one dimension read these.
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

-- The ledger position the rollups hold every row up to (none after it).
CREATE TABLE usage_rollup_folded (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    through_pos INTEGER NOT NULL
);

INSERT INTO usage_rollup_folded (id, through_pos) VALUES (1, 0);
