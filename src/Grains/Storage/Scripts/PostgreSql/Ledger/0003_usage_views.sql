-- Usage views and export (API.md §6, §7; DESIGN.md "Usage views, statements and export"). The
-- ledger keeps everything a view or the export shows; every row gets a commit position; minute
-- and hour rollups are written by the ledger writer in the same transaction as the rows they sum.
-- Existing ledgers migrate in place, every row kept, in this script's one transaction.

-- What ingest knew, stored with the row. NULL is "absent" (no TTFT, no team, not priced from a
-- model), as the LedgerEntry fields are. key_bound has no default on purpose: a silo of an older
-- version, which does not write rollups, has its inserts refused instead of leaving rows that no
-- rollup counts. Rows of the old schema were written before bindings were recorded: an old row's
-- key counts as bound when it had a key at all (api_key_id <> ''), which is what the writer did then.
ALTER TABLE usage_ledger
    ADD COLUMN guardrail_blocked     boolean NOT NULL DEFAULT false,
    ADD COLUMN upstream_ttft_ms      bigint,
    ADD COLUMN downstream_latency_ms bigint,
    ADD COLUMN requested_model       text,
    ADD COLUMN attempt_kind          text,
    ADD COLUMN error_class           text,
    ADD COLUMN cache_status          text,
    ADD COLUMN provider_key_id       text,
    ADD COLUMN team_id               text,
    ADD COLUMN member_id             text,
    ADD COLUMN key_bound             boolean,
    ADD COLUMN price_version         integer,
    -- The commit position (the export cursor): the writing transaction's id and a number taken
    -- inside it. Ordered by (commit_xact, commit_number); a reader reads only transactions below
    -- the oldest one still running, so a transaction that commits late is never passed over.
    -- Old rows are transaction 0, before every real one.
    ADD COLUMN commit_xact           xid8 NOT NULL DEFAULT '0',
    ADD COLUMN commit_number         bigint;

ALTER TABLE usage_ledger ALTER COLUMN guardrail_blocked DROP DEFAULT;

CREATE SEQUENCE usage_ledger_commit_number AS bigint;

-- Old rows are numbered in the order they were received (ties broken by the identity of their
-- gateway's sequence), which is the order their transactions committed in as far as anyone can know.
UPDATE usage_ledger AS u
SET commit_number = o.n, key_bound = (u.api_key_id <> '')
FROM (
    SELECT environment_id, request_id, attempt_index, occurred_at,
           row_number() OVER (ORDER BY received_at, environment_id, dp_id, seq) AS n
    FROM usage_ledger
) AS o
WHERE u.environment_id = o.environment_id AND u.request_id = o.request_id
  AND u.attempt_index = o.attempt_index AND u.occurred_at = o.occurred_at;

SELECT setval('usage_ledger_commit_number', coalesce(max(commit_number), 0) + 1, false) FROM usage_ledger;

ALTER TABLE usage_ledger
    ALTER COLUMN key_bound SET NOT NULL,
    ALTER COLUMN commit_number SET NOT NULL,
    ALTER COLUMN commit_xact SET DEFAULT pg_current_xact_id(),
    ALTER COLUMN commit_number SET DEFAULT nextval('usage_ledger_commit_number');

ALTER SEQUENCE usage_ledger_commit_number OWNED BY usage_ledger.commit_number;

-- The export of some environments in commit order, one index range per environment.
CREATE INDEX usage_ledger_by_commit ON usage_ledger (environment_id, commit_xact, commit_number);

-- A stored latency histogram is one or more LatencyHistogram texts ("bucket:count,..." in bucket
-- order) joined by ';': the row's histogram is their sum. A rollup upsert appends the new rows'
-- histogram as one more segment, which costs next to nothing, and folds the segments into one
-- when 32 have gathered, so that a row updated all hour stays small while merging (a parse and a
-- sort in SQL, about three times the cost of the rest of the update) happens once in 32 updates.
-- Empty text is an empty histogram.

-- The sum of two stored histograms (any segments) as one LatencyHistogram text.
CREATE FUNCTION usage_histogram_merge(a text, b text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(bucket::text || ':' || total::text, ',' ORDER BY bucket), '')
    FROM (
        SELECT split_part(part, ':', 1)::integer AS bucket, sum(split_part(part, ':', 2)::bigint) AS total
        FROM unnest(string_to_array(translate(coalesce(a, '') || ';' || coalesce(b, ''), ';', ','), ',')) AS part
        WHERE part <> ''
        GROUP BY 1
    ) AS buckets
$$;

-- What an upsert stores for stored + added: added as one more segment, or everything merged
-- into one when the stored text has 32 segments.
CREATE FUNCTION usage_histogram_add(stored text, added text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN added = '' THEN stored
        WHEN stored = '' THEN added
        WHEN length(stored) - length(replace(stored, ';', '')) >= 31 THEN usage_histogram_merge(stored, added)
        ELSE stored || ';' || added
    END
$$;

-- LatencyHistogram.BucketOf, for the backfill below: values under 16 ms have a bucket each, and
-- bucket 16 + k starts at the k-th of these thresholds (the smallest whole millisecond count that
-- BucketOf puts there, computed from it; a test holds the two equal at every threshold).
CREATE FUNCTION usage_latency_bucket(ms bigint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN ms < 16 THEN greatest(ms, 0)::integer ELSE 16 + width_bucket(ms, ARRAY[
        18,20,21,23,25,27,30,32,35,38,42,46,50,54,59,64,70,76,83,90,98,107,117,127,138,151,164,179,195,
        213,232,253,275,300,327,357,389,423,462,503,548,598,651,710,774,843,919,1002,1092,1190,1297,1414,
        1541,1680,1831,1996,2175,2371,2584,2817,3070,3347,3648,3976,4334,4724,5149,5613,6118,6668,7268,
        7922,8635,9412,10260,11183,12189,13286,14482,15785,17206,18754,20442,22282,24287,26473,28856,
        31453,34283,37369,40732,44398,48394,52749,57496,62671,68311,74459,81161,88465,96427,105105,
        114565,124876,136114,148365,161717,176272,192136,209429,228277,248822,271216,295625,322231,
        351232,382843,417299,454856,495793,540414,589051,642066,699852,762838,831494,906328,987898,
        1076808,1173721,1279356,1394498,1520003,1656803,1805915,1968447,2145608,2338712,2549196,
        2778624,3028700,3301283,3598398,3922254,4275257,4660030,5079433,5536582,6034874,6578013,
        7170034,7815337,8518717,9285402,10121088,11031985,12024864,13107102,14286741,15572548,
        16974077,18501744,20166901,21981922,23960295,26116721,28467226,31029276,33821911,36865883,
        40183812,43800355,47742387,52039202,56722730,61827776,67392276,73457580,80068763,87274951
    ]::bigint[]) END
$$;

-- StatusClass.Of.
CREATE FUNCTION usage_status_class(status_code integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN status_code BETWEEN 200 AND 299 THEN '2xx'
        WHEN status_code = 429 THEN '429'
        WHEN status_code BETWEEN 400 AND 499 THEN '4xx'
        WHEN status_code BETWEEN 500 AND 599 THEN '5xx'
        ELSE 'other'
    END
$$;

-- The rollups: the sums (UsageTotals) of the ledger rows of one key in one UTC minute or hour.
-- An absent dimension is ''. Only inserted rows are added, in their own transaction, so a view
-- is exactly the ledger. bucket_start is the minute's or hour's start in UTC. A row is updated
-- many times while its minute or hour is current: the space pages keep free (fillfactor) lets
-- most of those updates stay on the row's page without a new index entry.
DO $$
DECLARE
    tier text;
BEGIN
    FOREACH tier IN ARRAY ARRAY['minute', 'hour'] LOOP
        EXECUTE format($table$
            CREATE TABLE usage_rollup_%1$s (
                environment_id        text        NOT NULL,
                bucket_start          timestamptz NOT NULL,
                dp_id                 text        NOT NULL,
                api_key_id            text        NOT NULL,
                model_id              text        NOT NULL,
                provider_key_id       text        NOT NULL,
                team_id               text        NOT NULL,
                member_id             text        NOT NULL,
                status_class          text        NOT NULL,
                attempt_kind          text        NOT NULL,
                key_bound             boolean     NOT NULL,
                attempts              bigint      NOT NULL,
                requests              bigint      NOT NULL,
                prompt_tokens         bigint      NOT NULL,
                completion_tokens     bigint      NOT NULL,
                cached_prompt_tokens  bigint      NOT NULL,
                cache_creation_tokens bigint      NOT NULL,
                cache_read_tokens     bigint      NOT NULL,
                reasoning_tokens      bigint      NOT NULL,
                spend_usd             numeric     NOT NULL,
                cache_savings_usd     numeric     NOT NULL,
                cache_hits            bigint      NOT NULL,
                unpriced_attempts     bigint      NOT NULL,
                error_attempts        bigint      NOT NULL,
                budget_denied         bigint      NOT NULL,
                latency_sum_ms        bigint      NOT NULL,
                latency_max_ms        bigint      NOT NULL,
                latency_histogram     text        NOT NULL,
                ttft_count            bigint      NOT NULL,
                ttft_sum_ms           bigint      NOT NULL,
                ttft_histogram        text        NOT NULL,
                -- Environment and time first: every view reads some environments over a time range.
                PRIMARY KEY (environment_id, bucket_start, dp_id, api_key_id, model_id, provider_key_id,
                             team_id, member_id, status_class, attempt_kind, key_bound)
            ) WITH (fillfactor = 70)$table$, tier);

        -- The old rows, summed as UsageTotals.Add sums them (they have no TTFT, attempt kind,
        -- provider key, team, member or error class).
        EXECUTE format($backfill$
            WITH old AS (
                SELECT environment_id, date_trunc(%1$L, occurred_at, 'UTC') AS bucket_start, dp_id, api_key_id,
                       model_id, usage_status_class(status_code) AS status_class, key_bound, attempt_index,
                       prompt_tokens, completion_tokens, cached_prompt_tokens, cache_creation_tokens,
                       cache_read_tokens, reasoning_tokens, cost_usd, cache_savings_usd, cache_hit, unpriced,
                       status_code, upstream_latency_ms, usage_latency_bucket(upstream_latency_ms) AS latency_bucket
                FROM usage_ledger
            ),
            histograms AS (
                SELECT environment_id, bucket_start, dp_id, api_key_id, model_id, status_class, key_bound,
                       string_agg(latency_bucket::text || ':' || n::text, ',' ORDER BY latency_bucket) AS histogram
                FROM (
                    SELECT environment_id, bucket_start, dp_id, api_key_id, model_id, status_class, key_bound,
                           latency_bucket, count(*) AS n
                    FROM old
                    GROUP BY environment_id, bucket_start, dp_id, api_key_id, model_id, status_class, key_bound, latency_bucket
                ) AS per_bucket
                GROUP BY environment_id, bucket_start, dp_id, api_key_id, model_id, status_class, key_bound
            ),
            sums AS (
                SELECT environment_id, bucket_start, dp_id, api_key_id, model_id, status_class, key_bound,
                       count(*) AS attempts,
                       count(*) FILTER (WHERE attempt_index = 0) AS requests,
                       sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
                       sum(cached_prompt_tokens) AS cached_prompt_tokens, sum(cache_creation_tokens) AS cache_creation_tokens,
                       sum(cache_read_tokens) AS cache_read_tokens, sum(reasoning_tokens) AS reasoning_tokens,
                       sum(cost_usd) AS spend_usd, sum(cache_savings_usd) AS cache_savings_usd,
                       count(*) FILTER (WHERE cache_hit) AS cache_hits,
                       count(*) FILTER (WHERE unpriced) AS unpriced_attempts,
                       count(*) FILTER (WHERE status_code >= 400) AS error_attempts,
                       sum(upstream_latency_ms) AS latency_sum_ms,
                       greatest(max(upstream_latency_ms), 0) AS latency_max_ms
                FROM old
                GROUP BY environment_id, bucket_start, dp_id, api_key_id, model_id, status_class, key_bound
            )
            INSERT INTO usage_rollup_%2$s
            SELECT s.environment_id, s.bucket_start, s.dp_id, s.api_key_id, s.model_id, '', '', '', s.status_class, '',
                   s.key_bound, s.attempts, s.requests, s.prompt_tokens, s.completion_tokens, s.cached_prompt_tokens,
                   s.cache_creation_tokens, s.cache_read_tokens, s.reasoning_tokens, s.spend_usd, s.cache_savings_usd,
                   s.cache_hits, s.unpriced_attempts, s.error_attempts, 0, s.latency_sum_ms, s.latency_max_ms,
                   h.histogram, 0, 0, ''
            FROM sums AS s
            JOIN histograms AS h USING (environment_id, bucket_start, dp_id, api_key_id, model_id, status_class, key_bound)
            $backfill$, tier, tier);
    END LOOP;
END
$$;
