-- The usage ledger: one row per accepted upstream attempt, never updated or deleted.
-- Money columns are decimal strings; sums are done in exact decimal by the application.
CREATE TABLE usage_ledger (
    environment_id        TEXT    NOT NULL,
    request_id            TEXT    NOT NULL,
    attempt_index         INTEGER NOT NULL,
    dp_id                 TEXT    NOT NULL,
    seq                   INTEGER NOT NULL,
    occurred_at_ms        INTEGER NOT NULL,
    received_at_ms        INTEGER NOT NULL,
    model_id              TEXT    NOT NULL,
    api_key_id            TEXT    NOT NULL,
    prompt_tokens         INTEGER NOT NULL,
    completion_tokens     INTEGER NOT NULL,
    cached_prompt_tokens  INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    cache_read_tokens     INTEGER NOT NULL,
    reasoning_tokens      INTEGER NOT NULL,
    status_code           INTEGER NOT NULL,
    upstream_latency_ms   INTEGER NOT NULL,
    cost_usd              TEXT    NOT NULL,
    cache_savings_usd     TEXT    NOT NULL,
    unpriced              INTEGER NOT NULL,
    cache_hit             INTEGER NOT NULL,
    PRIMARY KEY (environment_id, request_id, attempt_index)
) WITHOUT ROWID;

-- Replay of one gateway's rows past a snapshot's watermark.
CREATE INDEX usage_ledger_by_gateway ON usage_ledger (environment_id, dp_id, seq);
