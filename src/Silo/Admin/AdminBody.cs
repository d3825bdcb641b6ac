using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Admin;

/// <summary>Reads an admin request body with the source-generated serializer and precise errors.</summary>
public static class AdminBody
{
    public const int MaxBytes = 64 * 1024;

    private const string MoneyRule = "must be a non-negative number or numeric string";
    private const string StringRule = "must be a string";

    private static readonly Dictionary<string, string> Rules = new(StringComparer.Ordinal)
    {
        ["name"] = StringRule,
        ["fail_mode"] = StringRule,
        ["org_id"] = StringRule,
        ["environment_id"] = StringRule,
        ["team_id"] = StringRule,
        ["user_id"] = StringRule,
        ["provider_key_id"] = StringRule,
        ["dp_id"] = StringRule,
        ["pricing"] = "must be an object",
        ["scope"] = "must be an object with 'type' and 'ref'",
        ["scope.type"] = StringRule,
        ["scope.ref"] = StringRule,
        ["limit_usd"] = "must be a number or numeric string greater than 0 and at most 1000000000000",
        ["period"] = StringRule,
        ["mode"] = StringRule,
        ["timezone"] = StringRule,
        ["thresholds"] = "must be an array of fractions in (0, 1]",
        ["thresholds[]"] = "must be a number or numeric string: a fraction in (0, 1]",
        ["pricing.input_per_mtok"] = MoneyRule,
        ["pricing.output_per_mtok"] = MoneyRule,
        ["pricing.cached_input_per_mtok"] = MoneyRule,
        ["pricing.cache_write_per_mtok"] = MoneyRule,
        ["pricing.cache_read_per_mtok"] = MoneyRule,
        ["pricing.audio_per_second"] = MoneyRule,
    };

    /// <param name="request">The request.</param>
    /// <param name="type">The body's source-generated type info.</param>
    /// <param name="allowEmpty">Whether an empty body stands for an empty object.</param>
    public static async Task<(T? Body, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, bool allowEmpty = false)
        where T : class, new()
    {
        ArgumentNullException.ThrowIfNull(request);
        var (read, problem) = await RequestBody.ReadAsync(request, MaxBytes, MaxBytes, request.HttpContext.RequestAborted);
        if (problem is not null)
        {
            return (null, problem);
        }

        using var bytes = read!;

        if (bytes.Length == 0)
        {
            return allowEmpty ? (new T(), null) : (null, Problems.BadRequest("a JSON object body is required"));
        }

        try
        {
            var body = JsonSerializer.Deserialize(bytes.Span, type);
            return body is null ? (null, Problems.BadRequest("the body must be a JSON object, not null")) : (body, null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.BadRequest(JsonFieldError.Describe(ex, Rules)));
        }
    }
}
