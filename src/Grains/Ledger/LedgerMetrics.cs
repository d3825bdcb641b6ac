using System.Diagnostics.Metrics;
using BudgetCluster.Grains.Abstractions.Diagnostics;

namespace BudgetCluster.Grains.Ledger;

/// <summary>Group-commit behaviour of the usage ledger, on the <see cref="MeterName"/> meter.</summary>
public static class LedgerMetrics
{
    public const string MeterName = "BudgetCluster.Ledger";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram(
        "budgetcluster.ledger.commit.duration", "s", "Time of one group commit, inserts, rollups and fsync included.",
        advice: DurationHistogram.Seconds);

    private static readonly Histogram<long> CommitBatches = Meter.CreateHistogram(
        "budgetcluster.ledger.commit.batches", "{batch}", "Appends that shared one commit (the group size).",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });

    private static readonly Counter<long> Rows = Meter.CreateCounter<long>(
        "budgetcluster.ledger.rows", "{row}", "Rows offered to the ledger by outcome: inserted, duplicate, failed.");

    internal static void Committed(int batches, int inserted, int duplicates, TimeSpan duration)
    {
        CommitDuration.Record(duration.TotalSeconds);
        CommitBatches.Record(batches);
        Rows.Add(inserted, new KeyValuePair<string, object?>("outcome", "inserted"));
        Rows.Add(duplicates, new KeyValuePair<string, object?>("outcome", "duplicate"));
    }

    private static readonly Counter<long> FoldedRows = Meter.CreateCounter<long>(
        "budgetcluster.ledger.rollup.folded", "{row}", "Ledger rows folded into the usage rollups.");

    private static readonly Counter<long> FoldFailures = Meter.CreateCounter<long>(
        "budgetcluster.ledger.rollup.fold_failures", "{fold}", "Rollup folds that failed (the rows are folded by a later one).");

    private static readonly Histogram<double> FoldDuration = Meter.CreateHistogram(
        "budgetcluster.ledger.rollup.fold.duration", "s", "Time of one rollup fold transaction, reading the rows included.",
        advice: DurationHistogram.Seconds);

    internal static void Folded(int rows, TimeSpan duration)
    {
        FoldedRows.Add(rows);
        FoldDuration.Record(duration.TotalSeconds);
    }

    internal static void FoldFailed() => FoldFailures.Add(1);

    internal static void Failed(int rows) => Rows.Add(rows, new KeyValuePair<string, object?>("outcome", "failed"));
}
