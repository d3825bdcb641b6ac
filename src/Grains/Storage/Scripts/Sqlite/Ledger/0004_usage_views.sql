-- Usage views and export (issue #10): what ingest knew of each event, its commit position, and
-- per-minute and per-hour rollups written in the same transaction as the rows.

-- What the data plane reported and ingest decided, kept for usage views and the export. Absent
-- values are NULL; rows written before this script have NULL (or 0) there.
ALTER TABLE usage_ledger ADD COLUMN guardrail_blocked     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_ledger ADD COLUMN upstream_ttft_ms      INTEGER;
ALTER TABLE usage_ledger ADD COLUMN downstream_latency_ms INTEGER;
ALTER TABLE usage_ledger ADD COLUMN requested_model       TEXT;
ALTER TABLE usage_ledger ADD COLUMN attempt_kind          TEXT;
ALTER TABLE usage_ledger ADD COLUMN error_class           TEXT;
ALTER TABLE usage_ledger ADD COLUMN cache_status          TEXT;
ALTER TABLE usage_ledger ADD COLUMN provider_key_id       TEXT;
ALTER TABLE usage_ledger ADD COLUMN team_id               TEXT;
ALTER TABLE usage_ledger ADD COLUMN member_id             TEXT;
ALTER TABLE usage_ledger ADD COLUMN key_bound             INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_ledger ADD COLUMN price_version         INTEGER;
-- The commit position (the export cursor, API.md §7): the one writer of the file numbers the rows
-- it inserts in commit order, continuing from the largest stored position.
ALTER TABLE usage_ledger ADD COLUMN pos                   INTEGER NOT NULL DEFAULT 0;

-- Rows written before this script: positions in a fixed order (received, then environment,
-- gateway, sequence: as near commit order as the old rows tell), and "bound" wherever the event
-- named a key. Old ingest kept no binding; a row with a key id is taken to have been bound, so
-- that key, team and member scopes count old spend as the budgets that saw it did.
UPDATE usage_ledger
SET pos = numbered.n, key_bound = (usage_ledger.api_key_id <> '')
FROM (
    SELECT environment_id AS e, request_id AS r, attempt_index AS a,
           ROW_NUMBER() OVER (ORDER BY received_at_ms, environment_id, dp_id, seq) AS n
    FROM usage_ledger
) AS numbered
WHERE usage_ledger.environment_id = numbered.e
  AND usage_ledger.request_id = numbered.r
  AND usage_ledger.attempt_index = numbered.a;

CREATE UNIQUE INDEX usage_ledger_by_position ON usage_ledger (pos);
-- The export of one environment from a cursor.
CREATE INDEX usage_ledger_by_environment_position ON usage_ledger (environment_id, pos);

-- Rollups: the sums of the ledger rows per UTC minute and per UTC hour (tier 'minute' or 'hour')
-- of occurred_at and key. An absent dimension is ''. Money is exact decimal text, as in the
-- ledger; the latency histograms are LatencyHistogram's sparse text ("bucket:count,..."). SQL
-- cannot add either exactly, so the writer adds in C# and writes whole rows, in the transaction of
-- the ledger rows they sum. Keyed by environment, tier and start first, which is how usage views
-- read them; hour rows let a day be read as 24 rows per key instead of 1,440.
CREATE TABLE usage_rollup (
    environment_id        TEXT    NOT NULL,
    tier                  TEXT    NOT NULL CHECK (tier IN ('minute', 'hour')),
    start_ms              INTEGER NOT NULL,
    dp_id                 TEXT    NOT NULL,
    api_key_id            TEXT    NOT NULL,
    model_id              TEXT    NOT NULL,
    provider_key_id       TEXT    NOT NULL,
    team_id               TEXT    NOT NULL,
    member_id             TEXT    NOT NULL,
    status_class          TEXT    NOT NULL,
    attempt_kind          TEXT    NOT NULL,
    key_bound             INTEGER NOT NULL,
    attempts              INTEGER NOT NULL,
    requests              INTEGER NOT NULL,
    prompt_tokens         INTEGER NOT NULL,
    completion_tokens     INTEGER NOT NULL,
    cached_prompt_tokens  INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    cache_read_tokens     INTEGER NOT NULL,
    reasoning_tokens      INTEGER NOT NULL,
    spend_usd             TEXT    NOT NULL,
    cache_savings_usd     TEXT    NOT NULL,
    cache_hits            INTEGER NOT NULL,
    unpriced_attempts     INTEGER NOT NULL,
    error_attempts        INTEGER NOT NULL,
    budget_denied         INTEGER NOT NULL,
    latency_sum_ms        INTEGER NOT NULL,
    latency_max_ms        INTEGER NOT NULL,
    latency_histogram     TEXT    NOT NULL,
    ttft_count            INTEGER NOT NULL,
    ttft_sum_ms           INTEGER NOT NULL,
    ttft_histogram        TEXT    NOT NULL,
    PRIMARY KEY (environment_id, tier, start_ms, dp_id, api_key_id, model_id, provider_key_id, team_id, member_id,
                 status_class, attempt_kind, key_bound)
) WITHOUT ROWID;

-- The rollups of the rows written before this script. SQL here cannot add decimal text exactly,
-- so the script only records how far they go, and SqliteUsageLedger sums those rows in C# the first
-- time it opens the file (one transaction: the rollups, then this row's deletion). No row: nothing
-- to do (a new ledger, or the pass is done).
CREATE TABLE usage_rollup_backfill (
    through_pos INTEGER NOT NULL
);

INSERT INTO usage_rollup_backfill (through_pos)
SELECT max(pos) FROM usage_ledger HAVING count(*) > 0;
