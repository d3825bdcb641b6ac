-- The usage ledger on PostgreSQL: one row per accepted upstream attempt, never updated or
-- deleted, partitioned by the month the attempt occurred in (partitions are created by the
-- writer as months come). The primary key must contain the partition key, so it is the event
-- identity (environment, request_id, attempt_index) plus occurred_at, which a gateway never
-- changes when it sends an event again. Money is exact NUMERIC.
CREATE TABLE usage_ledger (
    environment_id        text        NOT NULL,
    request_id            text        NOT NULL,
    attempt_index         integer     NOT NULL,
    occurred_at           timestamptz NOT NULL,
    dp_id                 text        NOT NULL,
    seq                   bigint      NOT NULL,
    received_at           timestamptz NOT NULL,
    model_id              text        NOT NULL,
    api_key_id            text        NOT NULL,
    prompt_tokens         bigint      NOT NULL,
    completion_tokens     bigint      NOT NULL,
    cached_prompt_tokens  bigint      NOT NULL,
    cache_creation_tokens bigint      NOT NULL,
    cache_read_tokens     bigint      NOT NULL,
    reasoning_tokens      bigint      NOT NULL,
    status_code           integer     NOT NULL,
    upstream_latency_ms   bigint      NOT NULL,
    cost_usd              numeric     NOT NULL,
    cache_savings_usd     numeric     NOT NULL,
    unpriced              boolean     NOT NULL,
    cache_hit             boolean     NOT NULL,
    PRIMARY KEY (environment_id, request_id, attempt_index, occurred_at)
) PARTITION BY RANGE (occurred_at);

-- Replay of one gateway's rows past a snapshot's watermark.
CREATE INDEX usage_ledger_by_gateway ON usage_ledger (environment_id, dp_id, seq);

-- Which budgets each new, non-free row counts toward (see the SQLite script of the same name).
CREATE TABLE usage_attribution (
    environment_id text        NOT NULL,
    dp_id          text        NOT NULL,
    seq            bigint      NOT NULL,
    budget_id      text        NOT NULL,
    period_start   timestamptz NOT NULL,
    cost_usd       numeric     NOT NULL,
    PRIMARY KEY (environment_id, dp_id, seq, budget_id)
);

CREATE INDEX usage_attribution_by_budget ON usage_attribution (budget_id, period_start);
