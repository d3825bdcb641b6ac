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
-- BucketOf puts there, computed from it; a test holds the two equal at every threshold). The last
-- is bucket 490's, the one long.MaxValue falls in.
CREATE FUNCTION usage_latency_bucket(ms bigint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN ms < 16 THEN greatest(ms, 0)::integer ELSE 16 + width_bucket(ms, ARRAY[
        18,20,21,23,25,27,30,32,35,38,42,46,50,54,59,64,70,76,83,90,98,107,117,127,138,151,164,179,195,213,
        232,253,275,300,327,357,389,423,462,503,548,598,651,710,774,843,919,1002,1092,1190,1297,1414,1541,
        1680,1831,1996,2175,2371,2584,2817,3070,3347,3648,3976,4334,4724,5149,5613,6118,6668,7268,7922,8635,
        9412,10260,11183,12189,13286,14482,15785,17206,18754,20442,22282,24287,26473,28856,31453,34283,
        37369,40732,44398,48394,52749,57496,62671,68311,74459,81161,88465,96427,105105,114565,124876,136114,
        148365,161717,176272,192136,209429,228277,248822,271216,295625,322231,351232,382843,417299,454856,
        495793,540414,589051,642066,699852,762838,831494,906328,987898,1076808,1173721,1279356,1394498,
        1520003,1656803,1805915,1968447,2145608,2338712,2549196,2778624,3028700,3301283,3598398,3922254,
        4275257,4660030,5079433,5536582,6034874,6578013,7170034,7815337,8518717,9285402,10121088,11031985,
        12024864,13107102,14286741,15572548,16974077,18501744,20166901,21981922,23960295,26116721,28467226,
        31029276,33821911,36865883,40183812,43800355,47742387,52039202,56722730,61827776,67392276,73457580,
        80068763,87274951,95129697,103691369,113023593,123195716,134283330,146368830,159542025,173900807,
        189551879,206611548,225206588,245475181,267567947,291649062,317897477,346508250,377693993,411686452,
        448738233,489124674,533145894,581129025,633430637,690439394,752578940,820311044,894139038,974611552,
        1062326591,1157935984,1262150223,1375743743,1499560680,1634521141,1781628043,1941974567,2116752278,
        2307259983,2514913382,2741255586,2987968589,3256885762,3550005480,3869505973,4217761511,4597360047,
        5011122451,5462123472,5953714584,6489548896,7073608297,7710233044,8404154018,9160527879,9984975388,
        10883623173,11863149259,12930832692,14094607634,15363122321,16745803330,18252925630,19895688936,
        21686300941,23638068025,25765494147,28084388621,30611983596,33367062120,36370097711,39643406505,
        43211313090,47100331268,51339361082,55959903580,60996294902,66485961443,72469697973,78991970790,
        86101248161,93850360496,102296892940,111503613305,121538938502,132477442967,144400412834,
        157396449989,171562130488,187002722232,203832967233,222177934284,242173948369,263969603722,
        287726868057,313622286183,341848291939,372614638213,406149955653,442703451661,482546762311,
        525975970919,573313808301,624912051048,681154135643,742458007850,809279228557,882114359127,
        961504651448,1048040070079,1142363676386,1245176407260,1357242283914,1479394089466,1612539557518,
        1757668117694,1915858248287,2088285490633,2276231184790,2481091991421,2704390270648,2947785395007,
        3213086080557,3502263827807,3817467572310,4161039653818,4535533222662,4943731212701,5388667021844,
        5873647053810,6402275288653,6978480064632,7606543270448,8291132164789,9037334059620,9850694124985,
        10737256596234,11703609689895,12756934561985,13905058672564,15156513953095,16520600208873,
        18007454227672,19628125108162,21394656367897,23320175441008,25418991230698,27706700441461,
        30200303481192,32918330794500,35880980566005,39110268816945,42630193010470,46466910381412,
        50648932315739,55207336224156,60175996484330,65591836167919,71495101423032,77929660551105,
        84943330000704,92588229700768,100921170373837,110004075707482,119904442521155,130695842348059,
        142458468159385,155279730293729,169254906020165,184487847561980,201091753842558,219190011688388,
        238917112740343,260419652886974,283857421646801,309404589595013,337251002658565,367603592897835,
        400687916258641,436749828721918,476057313306891,518902471504511,565603693939917,616508026394510,
        671993748770015,732473186159317,798395772913655,870251392475884,948574017798714,1033945679400598,
        1127000790546652,1228430861695851,1338989639248477,1459498706780840,1590853590391116,
        1734030413526317,1890093150743685,2060201534310617,2245619672398573,2447725442914444,
        2668020732776745,2908142598726652,3169875432612051,3455164221547135,3766129001486378,
        4105080611620152,4474537866665966,4877246274665903,5316198439385835,5794656298930560,
        6316175365834311,6884631148759400,7504247952147746,8179630267841044,8915796991946739,
        9718218721221946,10592858406131922,11546215662683795,12585375072325338,13718058828834619,
        14952684123429735,16298425694538414,17765284007046871,19364159567681091,21106933928772390,
        23006557982361907,25077148200774483,27334091538844187,29794159777340166,32475634157300782,
        35398441231457854,38584300942289061,42056888027095084,45842007949533644,49967788664991676,
        54464889644840933,59366729712876620,64709735387035525,70533611571868725,76881636613336905,
        83800983908537240,91343072460305592,99563948981733112,108524704390089097,118291927785197129,
        128938201285864873,140542639401592728,153191476947736081,166978709873032337,182006793761605265,
        198387405200149744,216242271668163248,235704076118297968,256917442968944785,280040012836149841,
        305243613991403360,332715539250629665,362659937783186400,395299332183673184,430876272080203809,
        469655136567422176,511924098858490208,557997267755754401,608217021853772353,662956553820611905,
        722622643664467009,787658681594269120,858547962937753409,935817279602151233,1020040834766344896,
        1111844509895316033,1211910515785894529,1320982462206625152,1439870883805221505,1569459263347691649,
        1710710597048983936,1864674550783392640,2032495260353898113,2215419833785749121,2414807618826466561,
        2632140304520848641,2869032931927725313,3127245895801220864,3408698026423331073,3715480848801431296,
        4049874125193560321,4414362796460981505,4811655448142469633,5244704438475292160,5716727837938068992,
        6231233343352495616,6792044344254220801,7403328335237101056,8069627885408440833,8795894395095201280
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
-- most of those updates stay on the row's page without a new index entry. The key's text is
-- compared bytewise (COLLATE "C"): nobody reads rollups in the key's order, and the index is then
-- as fast and as stable as the bytes, whatever the database's locale (or its library's version) is.
DO $$
DECLARE
    tier text;
BEGIN
    FOREACH tier IN ARRAY ARRAY['minute', 'hour'] LOOP
        EXECUTE format($table$
            CREATE TABLE usage_rollup_%1$s (
                environment_id        text        COLLATE "C" NOT NULL,
                bucket_start          timestamptz NOT NULL,
                dp_id                 text        COLLATE "C" NOT NULL,
                api_key_id            text        COLLATE "C" NOT NULL,
                model_id              text        COLLATE "C" NOT NULL,
                provider_key_id       text        COLLATE "C" NOT NULL,
                team_id               text        COLLATE "C" NOT NULL,
                member_id             text        COLLATE "C" NOT NULL,
                status_class          text        COLLATE "C" NOT NULL,
                attempt_kind          text        COLLATE "C" NOT NULL,
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
