-- The rollups move to a file of their own (Sqlite/Rollups/0001_rollups.sql says why). They are
-- derived from the ledger rows, all of which stay here: the tables are dropped, and the first
-- folds rebuild the rollups in the new file from the ledger's first row. Views stay exact
-- meanwhile: they add every ledger row the rollups do not hold yet.

DROP TABLE usage_rollup;
DROP TABLE usage_rollup_by;
DROP TABLE usage_rollup_key;
DROP TABLE usage_rollup_folded;
