using System.Collections.Immutable;
using System.Globalization;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.Extensions.Primitives;

namespace BudgetCluster.Silo.Admin;

/// <summary>Checks of query parameters and of <c>Accept</c> that several admin reads share.</summary>
public static class QueryParameters
{
    /// <summary>A 400 when <paramref name="name"/> is given more than once; else null, with its value (null when absent).</summary>
    public static IResult? AtMostOnce(IQueryCollection query, string name, out string? value)
    {
        ArgumentNullException.ThrowIfNull(query);
        StringValues values = query[name];
        value = values.Count == 0 ? null : values[0];
        return values.Count > 1 ? Problems.BadRequest($"'{name}' must be given at most once") : null;
    }

    /// <summary>A required id parameter, given once: else a 400 naming it.</summary>
    public static IResult? RequiredId(IQueryCollection query, string name, out string id)
    {
        id = "";
        if (AtMostOnce(query, name, out var value) is { } repeated)
        {
            return repeated;
        }

        if (value is null)
        {
            return Problems.BadRequest($"query parameter '{name}' is required");
        }

        id = value;
        return Ids.Check(value, name);
    }

    /// <summary><c>limit</c>: an integer from 1 to <paramref name="max"/>, <paramref name="fallback"/> when absent; else a 400.</summary>
    public static IResult? Limit(IQueryCollection query, int fallback, int max, out int limit)
    {
        limit = fallback;
        if (AtMostOnce(query, "limit", out var text) is { } repeated)
        {
            return repeated;
        }

        return text is not null
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > max)
            ? Problems.BadRequest($"'limit' must be an integer from 1 to {max}")
            : null;
    }

    /// <summary>
    /// Ids given as a repeatable, comma-separated parameter (ids have no commas), each checked,
    /// without repeats, in the order given; empty when absent. Else a 400 naming <paramref name="name"/>.
    /// </summary>
    public static IResult? IdList(IQueryCollection query, string name, out ImmutableArray<string> ids)
    {
        ArgumentNullException.ThrowIfNull(query);
        var list = ImmutableArray.CreateBuilder<string>();
        ids = [];
        foreach (var value in query[name])
        {
            foreach (var id in (value ?? "").Split(',', StringSplitOptions.TrimEntries))
            {
                if (Ids.Check(id, name) is { } badId)
                {
                    return badId;
                }

                if (!list.Contains(id))
                {
                    list.Add(id);
                }
            }
        }

        ids = list.ToImmutable();
        return null;
    }

    /// <summary>True when the request's <c>Accept</c> asks for <paramref name="mediaType"/> (with a quality above 0).</summary>
    public static bool Accepts(HttpRequest request, string mediaType)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.GetTypedHeaders().Accept.Any(accept =>
            accept.MediaType.Equals(mediaType, StringComparison.OrdinalIgnoreCase) && (accept.Quality ?? 1.0) > 0);
    }
}
