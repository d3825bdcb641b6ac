-- Cluster membership for Orleans' ADO.NET clustering provider on PostgreSQL (invariant "Npgsql"),
-- used by silos (membership table) and by clients (gateway list). Relies on OrleansQuery from
-- 0001_orleans_grain_storage.sql. The provider refuses to start unless all nine keys are present:
--   InsertMembershipVersionKey, MembershipReadAllKey, MembershipReadRowKey, InsertMembershipKey,
--   UpdateMembershipKey, UpdateIAmAlivetimeKey (sic: lower-case t), GatewaysQueryKey,
--   DeleteMembershipTableEntriesKey, CleanupDefunctSiloEntriesKey.
-- CleanupDefunctSiloEntryKey is optional; when present the provider uses it instead of the bulk
-- CleanupDefunctSiloEntriesKey, one dead silo at a time.
-- Parameters: @DeploymentId (text, the ClusterId); a silo is @Address (text, IP as a string),
-- @Port, @Generation (int); @SiloName, @HostName (text); @Status, @ProxyPort (int, SiloStatus:
-- 3 = Active, 6 = Dead); @StartTime, @IAmAliveTime (UTC DateTime, sent as timestamptz);
-- @SuspectTimes (text "silo,date|silo,date" or NULL); @Version (int, the table version the
-- caller read, i.e. its ETag).
-- Results are read by column name (aliases double-quoted to keep their case):
--   * insert/update statements answer one row with one boolean column: did it take effect;
--   * reads answer Version plus the silo columns, at least one row: with no silos there is one
--     row whose silo columns are NULL (a NULL StartTime means "no member");
--   * the gateway list answers Address, ProxyPort, Generation.
-- Optimistic concurrency: every insert or update of a silo row must name the current table
-- version and bumps it in the same statement; a stale version changes nothing and answers false.
-- The I-am-alive heartbeat only touches its own row and leaves the version alone.

CREATE TABLE orleans_membership_version (
    deployment_id text        NOT NULL PRIMARY KEY,
    version       integer     NOT NULL,
    modified_at   timestamptz NOT NULL
);

CREATE TABLE orleans_membership (
    deployment_id   text        NOT NULL
        REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE,
    address         text        NOT NULL,
    port            integer     NOT NULL,
    generation      integer     NOT NULL,
    silo_name       text        NOT NULL,
    host_name       text        NOT NULL,
    status          integer     NOT NULL,
    proxy_port      integer,
    suspect_times   text,
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

-- Creates the cluster's version row once; answers true only for the call that created it.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipVersionKey', $query$
WITH created AS (
    INSERT INTO orleans_membership_version (deployment_id, version, modified_at)
    VALUES (@DeploymentId, 0, now())
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM created) AS "Inserted";
$query$);

-- Adds a silo if the caller's table version is still current and the silo is not there yet;
-- the version bump and the insert stand or fall together.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipKey', $query$
WITH bumped AS (
    UPDATE orleans_membership_version
    SET version = version + 1, modified_at = now()
    WHERE deployment_id = @DeploymentId AND version = @Version
      AND NOT EXISTS (
          SELECT 1 FROM orleans_membership
          WHERE deployment_id = @DeploymentId AND address = @Address
            AND port = @Port AND generation = @Generation)
    RETURNING deployment_id
), added AS (
    INSERT INTO orleans_membership (deployment_id, address, port, generation, silo_name, host_name,
                                    status, proxy_port, suspect_times, start_time, i_am_alive_time)
    SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName,
           @Status, @ProxyPort, NULL, @StartTime, @IAmAliveTime
    FROM bumped
    ON CONFLICT (deployment_id, address, port, generation) DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM added) AS "Inserted";
$query$);

-- Changes a silo's status and suspicions if the caller's table version is still current and the
-- silo exists; the version bump and the update stand or fall together.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateMembershipKey', $query$
WITH bumped AS (
    UPDATE orleans_membership_version
    SET version = version + 1, modified_at = now()
    WHERE deployment_id = @DeploymentId AND version = @Version
      AND EXISTS (
          SELECT 1 FROM orleans_membership
          WHERE deployment_id = @DeploymentId AND address = @Address
            AND port = @Port AND generation = @Generation)
    RETURNING deployment_id
), changed AS (
    UPDATE orleans_membership m
    SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
    FROM bumped
    WHERE m.deployment_id = bumped.deployment_id AND m.address = @Address
      AND m.port = @Port AND m.generation = @Generation
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM changed) AS "Updated";
$query$);

-- Heartbeat: no version check, no version bump.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateIAmAlivetimeKey', $query$
UPDATE orleans_membership
SET i_am_alive_time = @IAmAliveTime
WHERE deployment_id = @DeploymentId AND address = @Address
  AND port = @Port AND generation = @Generation;
$query$);

-- One silo plus the table version (a row with NULL silo columns when the silo is unknown).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadRowKey', $query$
SELECT v.version AS "Version",
       m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status",
       m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes",
       m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
FROM orleans_membership_version v
LEFT JOIN orleans_membership m
       ON m.deployment_id = v.deployment_id AND m.address = @Address
      AND m.port = @Port AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId;
$query$);

-- Every silo plus the table version (one row with NULL silo columns when there are none).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadAllKey', $query$
SELECT v.version AS "Version",
       m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status",
       m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes",
       m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
FROM orleans_membership_version v
LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId;
$query$);

-- Gateways for clients: active silos that accept clients. @Status is bound to 3 (Active).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('GatewaysQueryKey', $query$
SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
FROM orleans_membership
WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0;
$query$);

-- Forgets a whole cluster (its silos go with the version row through the cascade).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteMembershipTableEntriesKey', $query$
DELETE FROM orleans_membership_version
WHERE deployment_id = @DeploymentId;
$query$);

-- Bulk clean-up (used only when CleanupDefunctSiloEntryKey is missing): dead silos whose last
-- heartbeat is older than @IAmAliveTime.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('CleanupDefunctSiloEntriesKey', $query$
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId AND status = 6 AND i_am_alive_time < @IAmAliveTime;
$query$);

-- Per-silo clean-up: removes one dead silo only if the row still holds exactly what the caller
-- read (start time, last heartbeat, suspicions), so a row that changed meanwhile survives.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('CleanupDefunctSiloEntryKey', $query$
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId AND address = @Address
  AND port = @Port AND generation = @Generation
  AND status = 6
  AND start_time = @StartTime AND i_am_alive_time = @IAmAliveTime
  AND suspect_times IS NOT DISTINCT FROM @SuspectTimes;
$query$);
