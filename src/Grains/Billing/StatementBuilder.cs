using System.Collections.Immutable;
using BudgetCluster.Grains.Budgets;
using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Grains.Billing;

/// <summary>
/// The pure arithmetic of statements (API.md §8):
/// <list type="bullet">
/// <item>Lines are the period's rollup rows summed per environment, model and provider key.</item>
/// <item>A closed statement remembers, per period it could still receive events for (its own and
/// the earlier ones within the data plane's <c>MaxEventAge</c>), each environment and model's
/// attempts and spend as it read them: the <em>known</em> sums.</item>
/// <item>The first open statement's adjustments are, per earlier period, environment and model, what
/// the ledger holds now beyond the last closed statement's known sums: exactly the events stored
/// after that statement's read, found from the rollups without reading a ledger row. The ledger only
/// grows, so a sum that did not gain attempts (or whose environment was deleted since) adjusts nothing.</item>
/// <item>So for every period, its closed total plus every later adjustment for it is the ledger's
/// spend for it, each event in exactly one of them.</item>
/// </list>
/// </summary>
public static class StatementBuilder
{
    /// <summary>Rows of one period summed per environment, model and provider key, sorted by them (ordinally; absent first).</summary>
    public static ImmutableArray<StatementLine> Lines(IEnumerable<RollupRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var sums = new Dictionary<(string, string, string), UsageTotals>();
        foreach (var row in rows)
        {
            Rollups.SumOf(sums, (row.Key.EnvironmentId, row.Key.ModelId, row.Key.ProviderKeyId)).Add(row.Totals);
        }

        return [.. sums
            .OrderBy(pair => pair.Key.Item1, StringComparer.Ordinal)
            .ThenBy(pair => pair.Key.Item2, StringComparer.Ordinal)
            .ThenBy(pair => pair.Key.Item3, StringComparer.Ordinal)
            .Select(pair => new StatementLine(
                pair.Key.Item1, pair.Key.Item2, pair.Key.Item3, pair.Value.Requests, pair.Value.Attempts, pair.Value.PromptTokens,
                pair.Value.CompletionTokens, pair.Value.CachedPromptTokens, pair.Value.CacheCreationTokens, pair.Value.CacheReadTokens,
                pair.Value.SpendUsd, pair.Value.CacheSavingsUsd))];
    }

    /// <summary>A period's lines summed per environment and model: what its closed statement knows of it.</summary>
    public static ImmutableArray<PeriodSum> Sums(StatementPeriod period, IEnumerable<StatementLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return Sums(period, lines.Select(line => (line.EnvironmentId, line.ModelId, line.Attempts, line.SpendUsd)));
    }

    /// <summary>A period's rollup rows summed per environment and model.</summary>
    public static ImmutableArray<PeriodSum> Sums(StatementPeriod period, IEnumerable<RollupRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return Sums(period, rows.Select(row => (row.Key.EnvironmentId, row.Key.ModelId, row.Totals.Attempts, row.Totals.SpendUsd)));
    }

    /// <summary>
    /// What <paramref name="current"/> holds beyond <paramref name="known"/>, per period, environment and
    /// model, sorted by them; nothing for a sum that gained no attempts.
    /// </summary>
    public static ImmutableArray<StatementAdjustment> Adjustments(IEnumerable<PeriodSum> current, IEnumerable<PeriodSum> known)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(known);
        var before = known.ToDictionary(sum => (sum.Period, sum.EnvironmentId, sum.ModelId));
        return [.. current
            .Select(now => (Now: now, Before: before.GetValueOrDefault((now.Period, now.EnvironmentId, now.ModelId))))
            .Where(pair => pair.Now.Attempts > (pair.Before?.Attempts ?? 0))
            .Select(pair => new StatementAdjustment(
                Parse(pair.Now.Period), pair.Now.EnvironmentId, pair.Now.ModelId,
                pair.Now.Attempts - (pair.Before?.Attempts ?? 0), pair.Now.SpendUsd - (pair.Before?.SpendUsd ?? 0m)))
            .OrderBy(adjustment => adjustment.Period)
            .ThenBy(adjustment => adjustment.EnvironmentId, StringComparer.Ordinal)
            .ThenBy(adjustment => adjustment.ModelId, StringComparer.Ordinal)];
    }

    /// <summary>The known sums after a statement read <paramref name="current"/>: each sum as read, or as known before where it did not grow.</summary>
    public static ImmutableArray<PeriodSum> Known(IEnumerable<PeriodSum> known, IEnumerable<PeriodSum> current)
    {
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(current);
        var merged = known.ToDictionary(sum => (sum.Period, sum.EnvironmentId, sum.ModelId));
        foreach (var sum in current)
        {
            var key = (sum.Period, sum.EnvironmentId, sum.ModelId);
            if (sum.Attempts > (merged.GetValueOrDefault(key)?.Attempts ?? 0))
            {
                merged[key] = sum;
            }
        }

        return [.. merged.Values
            .OrderBy(sum => sum.Period, StringComparer.Ordinal)
            .ThenBy(sum => sum.EnvironmentId, StringComparer.Ordinal)
            .ThenBy(sum => sum.ModelId, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The closed statements whose months can still get events after the last close: those ending
    /// after its <see cref="ClosedStatement.ClosedAt"/> less <paramref name="lateEventWindow"/>
    /// (<c>DataPlane:MaxEventAge</c>), whether or not they had usage. An event accepted later occurred
    /// after that instant, so only these months can gain one. A suffix of <paramref name="closed"/>
    /// (in period order), so their windows are contiguous and one read covers them.
    /// </summary>
    public static IReadOnlyList<ClosedStatement> Tracked(IReadOnlyList<ClosedStatement> closed, TimeSpan lateEventWindow)
    {
        ArgumentNullException.ThrowIfNull(closed);
        if (closed.Count == 0)
        {
            return [];
        }

        var cut = closed[^1].ClosedAt - lateEventWindow;
        return [.. closed.SkipWhile(statement => statement.EndingAt <= cut)];
    }

    /// <summary>
    /// An open statement's window: its month in <paramref name="zone"/>, except that the first open
    /// one starts where the last closed one ended (<paramref name="lastClosedEnd"/>), so a change of
    /// the billing zone leaves no instant out and none in two statements.
    /// </summary>
    public static PeriodWindow OpenWindow(StatementPeriod period, TimeZoneInfo zone, bool firstOpen, DateTimeOffset? lastClosedEnd)
    {
        var window = period.Window(zone);
        return firstOpen && lastClosedEnd is { } end && end < window.End ? window with { Start = end } : window;
    }

    private static ImmutableArray<PeriodSum> Sums(StatementPeriod period, IEnumerable<(string Environment, string Model, long Attempts, decimal Spend)> rows)
    {
        var sums = new SortedDictionary<(string, string), (long Attempts, decimal Spend)>(
            Comparer<(string, string)>.Create((a, b) =>
                string.CompareOrdinal(a.Item1, b.Item1) is var byEnvironment and not 0 ? byEnvironment : string.CompareOrdinal(a.Item2, b.Item2)));
        foreach (var (environment, model, attempts, spend) in rows)
        {
            var sum = sums.GetValueOrDefault((environment, model));
            sums[(environment, model)] = (sum.Attempts + attempts, sum.Spend + spend);
        }

        var name = period.ToString();
        return [.. sums.Select(pair => new PeriodSum(name, pair.Key.Item1, pair.Key.Item2, pair.Value.Attempts, pair.Value.Spend))];
    }

    private static StatementPeriod Parse(string period) =>
        StatementPeriod.TryParse(period, out var parsed) ? parsed : throw new FormatException($"'{period}' is not a statement period");
}
