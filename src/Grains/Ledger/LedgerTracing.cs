using System.Diagnostics;

namespace BudgetCluster.Grains.Ledger;

/// <summary>The ledger's spans, on the <see cref="SourceName"/> activity source: a telemetry batch's append, inside its trace.</summary>
public static class LedgerTracing
{
    public const string SourceName = "BudgetCluster.Ledger";

    public static ActivitySource Source { get; } = new(SourceName);
}
