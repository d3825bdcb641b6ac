-- Grain state for Orleans' ADO.NET storage provider (invariant "System.Data.SQLite", served by
-- Microsoft.Data.Sqlite). The provider reads its statements from OrleansQuery by key and binds
-- @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString,
-- @ServiceId, @GrainStateVersion (the ETag, NULL before the first write) and @PayloadBinary.
-- A statement that reports a version returns it as NewGrainStateVersion; NULL or no row means "ETag conflict".

CREATE TABLE OrleansQuery (
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

CREATE TABLE grain_state (
    id_hash      INTEGER NOT NULL,
    id_n0        INTEGER NOT NULL,
    id_n1        INTEGER NOT NULL,
    type_hash    INTEGER NOT NULL,
    type_name    TEXT    NOT NULL,
    -- '' stands for "no key extension" because NULLs never collide in a UNIQUE key.
    id_extension TEXT    NOT NULL,
    service_id   TEXT    NOT NULL,
    payload      BLOB,
    version      INTEGER NOT NULL,
    modified_at  TEXT    NOT NULL,
    UNIQUE (id_hash, type_hash, id_n0, id_n1, type_name, id_extension, service_id)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadFromStorageKey', '
SELECT payload AS PayloadBinary, version AS Version
FROM grain_state
WHERE id_hash = @GrainIdHash AND type_hash = @GrainTypeHash
  AND id_n0 = @GrainIdN0 AND id_n1 = @GrainIdN1
  AND type_name = @GrainTypeString AND id_extension = IFNULL(@GrainIdExtensionString, '''')
  AND service_id = @ServiceId;
');

-- A known ETag updates its row; no ETag inserts the first row. Anything else writes nothing and
-- nothing is returned or the final SELECT answers NULL: a conflict.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('WriteToStorageKey', '
UPDATE grain_state
SET payload = @PayloadBinary, version = version + 1, modified_at = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')
WHERE @GrainStateVersion IS NOT NULL AND version = @GrainStateVersion
  AND id_hash = @GrainIdHash AND type_hash = @GrainTypeHash
  AND id_n0 = @GrainIdN0 AND id_n1 = @GrainIdN1
  AND type_name = @GrainTypeString AND id_extension = IFNULL(@GrainIdExtensionString, '''')
  AND service_id = @ServiceId
RETURNING version AS NewGrainStateVersion;

INSERT INTO grain_state (id_hash, id_n0, id_n1, type_hash, type_name, id_extension, service_id, payload, version, modified_at)
SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, IFNULL(@GrainIdExtensionString, ''''),
       @ServiceId, @PayloadBinary, 1, strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')
WHERE @GrainStateVersion IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM grain_state
      WHERE id_hash = @GrainIdHash AND type_hash = @GrainTypeHash
        AND id_n0 = @GrainIdN0 AND id_n1 = @GrainIdN1
        AND type_name = @GrainTypeString AND id_extension = IFNULL(@GrainIdExtensionString, '''')
        AND service_id = @ServiceId)
RETURNING version AS NewGrainStateVersion;

-- A first write that found a row already there: answer the conflict explicitly. (A stale ETag
-- returns no row at all, which the provider reports as a conflict too.)
SELECT NULL AS NewGrainStateVersion WHERE @GrainStateVersion IS NULL AND changes() = 0;
');

-- Clearing keeps the row (and its version line) with no payload.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ClearStorageKey', '
UPDATE grain_state
SET payload = NULL, version = version + 1, modified_at = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')
WHERE version = @GrainStateVersion
  AND id_hash = @GrainIdHash AND type_hash = @GrainTypeHash
  AND id_n0 = @GrainIdN0 AND id_n1 = @GrainIdN1
  AND type_name = @GrainTypeString AND id_extension = IFNULL(@GrainIdExtensionString, '''')
  AND service_id = @ServiceId
RETURNING version AS NewGrainStateVersion;

SELECT NULL AS NewGrainStateVersion WHERE changes() = 0;
');
