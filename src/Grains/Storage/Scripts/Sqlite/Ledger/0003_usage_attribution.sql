-- Which budgets each ledger row counts toward, written in the same transaction as the row (and
-- only for rows that were new and cost something). Budgets rebuild their spend from it after a
-- crash; gateways re-send from it the deltas a crash kept them from delivering.
CREATE TABLE usage_attribution (
    environment_id  TEXT    NOT NULL,
    dp_id           TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    budget_id       TEXT    NOT NULL,
    period_start_ms INTEGER NOT NULL,
    cost_usd        TEXT    NOT NULL,
    PRIMARY KEY (environment_id, dp_id, seq, budget_id)
) WITHOUT ROWID;

-- A budget's rows of its recent periods.
CREATE INDEX usage_attribution_by_budget ON usage_attribution (budget_id, period_start_ms);
