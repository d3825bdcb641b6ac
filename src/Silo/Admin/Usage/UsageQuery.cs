using System.Collections.Immutable;
using System.Text;
using BudgetCluster.Grains.Usage;
using BudgetCluster.Silo.Admin.OpenApi;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>
/// The query parameters of <c>GET /orgs/{org_id}/usage</c> (API.md §6), checked and resolved: the
/// buckets (<see cref="Boundaries"/>) of <c>starting_at</c> to <c>ending_at</c> in the zone, the
/// grouping, the filters, the page size and where the page starts. Whether the environments are
/// the org's is the endpoint's check.
/// </summary>
public sealed record UsageQuery
{
    public const int DefaultLimit = 1_000;
    public const int MaxLimit = 10_000;
    public const int MaxBuckets = 1_500;
    /// <summary>The longest id an event may carry (the data plane's limit).</summary>
    public const int MaxFilterLength = 256;

    private static readonly string[] SingleParameters = ["starting_at", "ending_at", "bucket_width", "time_zone", "limit", "page"];

    private static readonly HashSet<string> KnownParameters = new HashSet<string>(
        [.. SingleParameters, "group_by", .. UsageDimensions.Filterable.Select(UsageDimensions.FieldName)], StringComparer.Ordinal);

    /// <summary>Every parameter the usage view takes, for the OpenAPI document.</summary>
    public static IReadOnlyList<QueryParameterDoc> Documentation { get; } =
    [
        new("starting_at", "Start of the first bucket, RFC 3339, on a bucket boundary of time_zone.", Required: true),
        new("ending_at", "End of the range (exclusive), RFC 3339, on a bucket boundary; default: the end of the bucket holding now."),
        new("bucket_width", $"1m, 1h, 1d, 1w (from Monday) or 1mo (default 1d), at most {MaxBuckets} buckets; days, weeks and months start at local midnight of time_zone."),
        new("time_zone", "IANA time zone of the buckets (default UTC)."),
        new("limit", $"Results per page, 1 to {MaxLimit} (default {DefaultLimit})", Numeric: true),
        new("page", "The `next_page` token of the previous page of the same query."),
        new("group_by", "Dimensions to group by (repeatable or comma-separated): " + string.Join(", ", UsageDimensions.All.Select(UsageDimensions.GroupName)) + ".", Repeatable: true),
        .. UsageDimensions.Filterable.Select(dimension => new QueryParameterDoc(
            UsageDimensions.FieldName(dimension), $"Only events whose {UsageDimensions.FieldName(dimension)} is one of these (repeatable or comma-separated).", Repeatable: true)),
    ];

    public required DateTimeOffset StartingAt { get; init; }
    public required DateTimeOffset EndingAt { get; init; }
    public required BucketWidth Width { get; init; }
    public required string TimeZoneId { get; init; }
    /// <summary>Bucket <c>i</c> is <c>[Boundaries[i], Boundaries[i+1])</c>.</summary>
    public required IReadOnlyList<DateTimeOffset> Boundaries { get; init; }
    public required ImmutableArray<UsageDimension> GroupBy { get; init; }
    /// <summary>Empty: every environment of the org.</summary>
    public required ImmutableArray<string> EnvironmentIds { get; init; }
    /// <summary>The filters other than the environment's; <c>""</c> selects an absent value.</summary>
    public required ImmutableDictionary<UsageDimension, ImmutableArray<string>> Filters { get; init; }
    public required int Limit { get; init; }
    public required UsagePosition Position { get; init; }
    /// <summary>What a page token of this query carries, so that one of another query is refused.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>
    /// The query of <paramref name="orgId"/>'s usage view, or a 400 naming the first bad parameter.
    /// <paramref name="now"/> resolves a missing <c>ending_at</c> (the end of the bucket holding it).
    /// </summary>
    public static (UsageQuery? Query, IResult? Problem) Parse(string orgId, IQueryCollection query, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Keys.FirstOrDefault(key => !KnownParameters.Contains(key)) is { } unknown)
        {
            return Fail($"unknown query parameter '{unknown}': the usage view takes {string.Join(", ", KnownParameters.Order(StringComparer.Ordinal))}");
        }

        var given = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in SingleParameters)
        {
            if (QueryParameters.AtMostOnce(query, name, out var value) is { } repeated)
            {
                return (null, repeated);
            }

            given[name] = value;
        }

        if (string.IsNullOrEmpty(given["starting_at"]))
        {
            return Fail("missing required parameter 'starting_at' (RFC 3339, e.g. 2026-11-01T00:00:00Z)");
        }

        var (start, badStart) = Instant(given["starting_at"]!, "starting_at");
        if (badStart is not null)
        {
            return (null, badStart);
        }

        var width = BucketWidth.Day;
        if (given["bucket_width"] is { } widthName)
        {
            if (BucketWidths.Parse(widthName) is not { } parsedWidth)
            {
                return Fail($"'bucket_width' must be one of {BucketWidths.Names} (got '{widthName}')");
            }

            width = parsedWidth;
        }

        var zoneId = given["time_zone"] ?? "UTC";
        if (!TimeZones.TryFindIana(zoneId, out var zone))
        {
            return Fail($"'time_zone' must be an IANA time zone such as Europe/Berlin or UTC (got '{zoneId}')");
        }

        if (Aligned(start, "starting_at", width, zone, zoneId) is { } unalignedStart)
        {
            return (null, unalignedStart);
        }

        var token = (UsagePageToken?)null;
        if (given["page"] is { } pageText && (token = UsagePageToken.TryDecode(pageText)) is null)
        {
            return Fail("'page' is not a page of this usage view: pass the 'next_page' of the previous answer, or leave it out for the first page");
        }

        DateTimeOffset end;
        if (given["ending_at"] is { } endText)
        {
            var parsedEnd = Instant(endText, "ending_at");
            if (parsedEnd.Problem is { } badEnd)
            {
                return (null, badEnd);
            }

            end = parsedEnd.Value;
            if (Aligned(end, "ending_at", width, zone, zoneId) is { } unalignedEnd)
            {
                return (null, unalignedEnd);
            }
        }
        else
        {
            end = token?.EndingAt ?? BucketCalendar.Containing(Clamp(now), width, zone).End;
        }

        if (end <= start)
        {
            var endSource = given["ending_at"] is null ? $"(by default the end of the current bucket, {WireFormat.Instant(end)}) " : "";
            return Fail($"'ending_at' {endSource}must be after 'starting_at' {WireFormat.Instant(start)}");
        }

        var boundaries = BucketCalendar.Boundaries(start, end, width, zone, MaxBuckets);
        if (boundaries is null)
        {
            return Fail($"at most {MaxBuckets} buckets per request: 'starting_at' to 'ending_at' holds more {BucketWidths.Name(width)} buckets; use a wider 'bucket_width' or a shorter range");
        }

        var (groupBy, badGroup) = ParseGroupBy(query);
        if (badGroup is not null)
        {
            return (null, badGroup);
        }

        if (QueryParameters.IdList(query, "environment_id", out var environments) is { } badEnvironment)
        {
            return (null, badEnvironment);
        }

        var (filters, badFilter) = ParseFilters(query);
        if (badFilter is not null)
        {
            return (null, badFilter);
        }

        if (QueryParameters.Limit(query, DefaultLimit, MaxLimit, out var limit) is { } badLimit)
        {
            return (null, badLimit);
        }

        var parsed = new UsageQuery
        {
            StartingAt = start,
            EndingAt = end,
            Width = width,
            TimeZoneId = zoneId,
            Boundaries = boundaries,
            GroupBy = groupBy,
            EnvironmentIds = environments,
            Filters = filters!,
            Limit = limit,
            Position = UsagePosition.Start,
            Fingerprint = "",
        };
        var fingerprint = UsagePageToken.FingerprintOf(parsed.Canonical(orgId, given["ending_at"]));
        if (token is not null
            && (token.Fingerprint != fingerprint || token.Position.Bucket >= boundaries.Count - 1
                || (token.Position.After is { } after && after.Values.Length != groupBy.Length)))
        {
            return Fail("'page' belongs to another query: pass the 'next_page' of the previous answer with the same parameters (only 'limit' may change)");
        }

        return (parsed with { Fingerprint = fingerprint, Position = token?.Position ?? UsagePosition.Start }, null);
    }

    /// <summary>
    /// The query's text without <c>limit</c> and <c>page</c>, with <c>ending_at</c> as given (a default
    /// one is carried by the token): what the fingerprint of its pages is taken over.
    /// </summary>
    private string Canonical(string orgId, string? givenEnd)
    {
        var text = new StringBuilder()
            .Append(orgId).Append('\n')
            .Append(StartingAt.UtcTicks).Append('\n')
            .Append(givenEnd is null ? "-" : EndingAt.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n')
            .Append(BucketWidths.Name(Width)).Append('\n')
            .Append(TimeZoneId).Append('\n')
            .AppendJoin(',', GroupBy.Select(UsageDimensions.GroupName)).Append('\n')
            .AppendJoin(',', EnvironmentIds.Order(StringComparer.Ordinal)).Append('\n');
        foreach (var (dimension, values) in Filters.OrderBy(pair => pair.Key))
        {
            text.Append(UsageDimensions.FieldName(dimension)).Append('=').AppendJoin('\u001f', values.Order(StringComparer.Ordinal)).Append('\n');
        }

        return text.ToString();
    }

    private static (UsageQuery?, IResult?) Fail(string detail) => (null, Problems.BadRequest(detail));

    private static (DateTimeOffset Value, IResult? Problem) Instant(string text, string name)
    {
        if (!WireFormat.TryParseInstant(text, out var value))
        {
            // A '+' left unescaped in a URL's query arrives as a space.
            var hint = text.Contains(' ', StringComparison.Ordinal) ? "; a '+' in a URL must be written %2B" : "";
            return (default, Problems.BadRequest($"'{name}' must be an RFC 3339 date-time with an offset, e.g. 2026-11-01T00:00:00Z (got '{text}'){hint}"));
        }

        return value < BucketCalendar.Earliest || value > BucketCalendar.Latest
            ? (default, Problems.BadRequest(
                $"'{name}' must be from {WireFormat.Instant(BucketCalendar.Earliest)} to {WireFormat.Instant(BucketCalendar.Latest)} (got '{text}')"))
            : (value, null);
    }

    private static IResult? Aligned(DateTimeOffset instant, string name, BucketWidth width, TimeZoneInfo zone, string zoneId)
    {
        var bucket = BucketCalendar.Containing(instant, width, zone);
        return bucket.Start == instant
            ? null
            : Problems.BadRequest(
                $"'{name}' {WireFormat.Instant(instant)} is not on a {BucketWidths.Name(width)} bucket boundary in {zoneId}: "
                + $"the nearest boundaries are {WireFormat.Instant(bucket.Start)} and {WireFormat.Instant(bucket.End)}");
    }

    private static DateTimeOffset Clamp(DateTimeOffset now) =>
        now < BucketCalendar.Earliest ? BucketCalendar.Earliest : now > BucketCalendar.Latest ? BucketCalendar.Latest : now;

    private static (ImmutableArray<UsageDimension>, IResult?) ParseGroupBy(IQueryCollection query)
    {
        var groupBy = ImmutableArray.CreateBuilder<UsageDimension>();
        foreach (var value in query["group_by"])
        {
            foreach (var name in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (UsageDimensions.ParseGroup(name) is not { } dimension)
                {
                    return ([], Problems.BadRequest(
                        $"'group_by' has unknown dimension '{name}': use any of {string.Join(", ", UsageDimensions.All.Select(UsageDimensions.GroupName))}"));
                }

                if (!groupBy.Contains(dimension))
                {
                    groupBy.Add(dimension);
                }
            }
        }

        return (groupBy.ToImmutable(), null);
    }

    /// <summary>The filters but the environment's: repeatable, each value taken whole (gateways' ids may hold commas).</summary>
    private static (ImmutableDictionary<UsageDimension, ImmutableArray<string>>?, IResult?) ParseFilters(IQueryCollection query)
    {
        var filters = ImmutableDictionary.CreateBuilder<UsageDimension, ImmutableArray<string>>();
        foreach (var dimension in UsageDimensions.Filterable.Where(dimension => dimension != UsageDimension.Environment))
        {
            var name = UsageDimensions.FieldName(dimension);
            var values = query[name];
            if (values.Count == 0)
            {
                continue;
            }

            if (values.FirstOrDefault(value => value is { Length: > MaxFilterLength }) is { } tooLong)
            {
                return (null, Problems.BadRequest($"'{name}' must be at most {MaxFilterLength} characters (got {tooLong.Length})"));
            }

            filters[dimension] = [.. values.Select(value => value ?? "").Distinct(StringComparer.Ordinal)];
        }

        return (filters.ToImmutable(), null);
    }
}
