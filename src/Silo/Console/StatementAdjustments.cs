using System.Globalization;
using System.Text.Json;

namespace BudgetCluster.Silo.Console;

/// <summary>A statement body's <c>adjustments</c> (API.md §8): how many, for which earlier months, and their sum, in exact decimals.</summary>
public sealed record StatementAdjustments(int Count, IReadOnlyList<string> Periods, string TotalUsd)
{
    public static StatementAdjustments Of(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        if (!document.RootElement.TryGetProperty("adjustments", out var adjustments) || adjustments.ValueKind != JsonValueKind.Array)
        {
            return new(0, [], "0");
        }

        var total = 0m;
        var periods = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var adjustment in adjustments.EnumerateArray())
        {
            total += decimal.Parse(adjustment.GetProperty("spend_usd").GetString()!, CultureInfo.InvariantCulture);
            periods.Add(adjustment.GetProperty("period").GetString()!);
        }

        return new(adjustments.GetArrayLength(), [.. periods], total.ToString(CultureInfo.InvariantCulture));
    }
}
