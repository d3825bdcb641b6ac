using System.Collections.Immutable;
using BudgetCluster.Grains.Budgets;

namespace BudgetCluster.Grains.Billing;

/// <summary>An org's statement for one month (API.md §8), open or closed; <see cref="StatementJson"/> writes it.</summary>
public sealed record Statement(
    string OrgId,
    StatementPeriod Period,
    string TimeZone,
    PeriodWindow Window,
    DateTimeOffset? ClosedAt,
    ImmutableArray<StatementLine> Lines,
    ImmutableArray<StatementAdjustment> Adjustments)
{
    /// <summary>The lines' spend plus the adjustments' spend.</summary>
    public decimal TotalUsd => Lines.Sum(line => line.SpendUsd) + Adjustments.Sum(adjustment => adjustment.SpendUsd);
}
