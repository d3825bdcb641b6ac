-- Each organization's budget registry, one row per budget (OrgGrain, through BudgetRegistryStore),
-- so defining one budget writes one row whatever the organization's size. Before this table the
-- registry was part of the org grain's state and every change rewrote all of it.
-- status: 0 defined (its budget grain has the policy), 1 pending (stored here, its budget grain
-- may not have it yet), 2 deleting (out of the registry, its budget grain may not be deleted yet;
-- policy is NULL). policy is the BudgetPolicy in Orleans' binary serialization.

CREATE TABLE budget_registry (
    org_id    TEXT     NOT NULL,
    budget_id TEXT     NOT NULL,
    status    SMALLINT NOT NULL CHECK (status IN (0, 1, 2)),
    policy    BYTEA,
    PRIMARY KEY (org_id, budget_id)
);

-- The version of each organization's budget index (BudgetIndex), written in the transaction of
-- every registry change: it never goes back, so a gateway never mistakes a new index for an old one.
CREATE TABLE budget_registry_org (
    org_id        TEXT    NOT NULL PRIMARY KEY,
    index_version BIGINT  NOT NULL
);
