-- Grain state for Orleans' ADO.NET storage provider on PostgreSQL (invariant "Npgsql").
-- At start-up the provider reads its statements from OrleansQuery (SELECT QueryKey, QueryText
-- FROM OrleansQuery, unquoted names, so the table is plain lower-case orleansquery) and needs the
-- keys ReadFromStorageKey, WriteToStorageKey and ClearStorageKey; DeleteStorageKey is optional and
-- only used with DeleteStateOnClear = true. Every statement binds @GrainIdHash (int),
-- @GrainIdN0 and @GrainIdN1 (bigint), @GrainTypeHash (int), @GrainTypeString (text),
-- @GrainIdExtensionString (text, NULL when the key has no extension), @ServiceId (text) and,
-- except the read, @GrainStateVersion (int, the ETag, NULL before the first write); the write
-- also binds @PayloadBinary (bytea). Npgsql sends all of them typed, so a NULL needs no cast.
-- Result columns are matched by name, so aliases are double-quoted to keep their case.
-- A statement that reports a version returns it as NewGrainStateVersion; NULL or no row means
-- "ETag conflict", which the provider raises as InconsistentStateException.
-- OrleansQuery is shared: 0002_orleans_clustering.sql adds the membership statements to it.

CREATE TABLE OrleansQuery (
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);

CREATE TABLE grain_state (
    id_hash      integer     NOT NULL,
    id_n0        bigint      NOT NULL,
    id_n1        bigint      NOT NULL,
    type_hash    integer     NOT NULL,
    type_name    text        NOT NULL,
    -- '' stands for "no key extension" so that the identity below is a plain unique key.
    id_extension text        NOT NULL,
    service_id   text        NOT NULL,
    payload      bytea,
    version      integer     NOT NULL,
    modified_at  timestamptz NOT NULL,
    CONSTRAINT grain_state_identity
        UNIQUE (id_hash, type_hash, id_n0, id_n1, type_name, id_extension, service_id)
);

-- The read answers at most one row; no row means "never written" (no ETag).
-- A cleared row answers a NULL payload with its version, which becomes the grain's ETag.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadFromStorageKey', $query$
SELECT payload AS "PayloadBinary", version AS "Version"
FROM grain_state
WHERE id_hash = @GrainIdHash AND type_hash = @GrainTypeHash
  AND id_n0 = @GrainIdN0 AND id_n1 = @GrainIdN1
  AND type_name = @GrainTypeString AND id_extension = COALESCE(@GrainIdExtensionString, '')
  AND service_id = @ServiceId;
$query$);

-- One statement, so it answers one row or none. A known ETag bumps the matching row; no ETag
-- inserts version 1 unless the row already exists (ON CONFLICT DO NOTHING also settles two
-- concurrent first writes: the loser gets no row). A stale ETag, or a first write that finds a
-- row, returns no row: a conflict. Concurrent writers with the same ETag queue on the row lock
-- and the later one no longer matches the bumped version.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('WriteToStorageKey', $query$
WITH bumped AS (
    UPDATE grain_state
    SET payload = @PayloadBinary, version = version + 1, modified_at = now()
    WHERE @GrainStateVersion IS NOT NULL AND version = @GrainStateVersion
      AND id_hash = @GrainIdHash AND type_hash = @GrainTypeHash
      AND id_n0 = @GrainIdN0 AND id_n1 = @GrainIdN1
      AND type_name = @GrainTypeString AND id_extension = COALESCE(@GrainIdExtensionString, '')
      AND service_id = @ServiceId
    RETURNING version
), created AS (
    INSERT INTO grain_state (id_hash, id_n0, id_n1, type_hash, type_name, id_extension, service_id,
                             payload, version, modified_at)
    SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
           COALESCE(@GrainIdExtensionString, ''), @ServiceId, @PayloadBinary, 1, now()
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT ON CONSTRAINT grain_state_identity DO NOTHING
    RETURNING version
)
SELECT version AS "NewGrainStateVersion" FROM bumped
UNION ALL
SELECT version FROM created;
$query$);

-- Clearing keeps the row (and its version line) with no payload; a stale ETag returns no row.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ClearStorageKey', $query$
UPDATE grain_state
SET payload = NULL, version = version + 1, modified_at = now()
WHERE version = @GrainStateVersion
  AND id_hash = @GrainIdHash AND type_hash = @GrainTypeHash
  AND id_n0 = @GrainIdN0 AND id_n1 = @GrainIdN1
  AND type_name = @GrainTypeString AND id_extension = COALESCE(@GrainIdExtensionString, '')
  AND service_id = @ServiceId
RETURNING version AS "NewGrainStateVersion";
$query$);

-- Only with DeleteStateOnClear = true: the row goes away; the provider expects the deleted
-- version + 1 back (and then forgets the ETag). A stale ETag returns no row.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteStorageKey', $query$
DELETE FROM grain_state
WHERE version = @GrainStateVersion
  AND id_hash = @GrainIdHash AND type_hash = @GrainTypeHash
  AND id_n0 = @GrainIdN0 AND id_n1 = @GrainIdN1
  AND type_name = @GrainTypeString AND id_extension = COALESCE(@GrainIdExtensionString, '')
  AND service_id = @ServiceId
RETURNING version + 1 AS "NewGrainStateVersion";
$query$);
