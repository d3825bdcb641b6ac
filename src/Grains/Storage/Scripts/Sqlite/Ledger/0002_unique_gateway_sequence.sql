-- A gateway's sequence numbers are unique: should two activations of one gateway ever overlap,
-- the second one's append fails (and it rebuilds from the ledger) instead of writing rows that
-- replay would skip.
DROP INDEX usage_ledger_by_gateway;
CREATE UNIQUE INDEX usage_ledger_by_gateway ON usage_ledger (environment_id, dp_id, seq);
