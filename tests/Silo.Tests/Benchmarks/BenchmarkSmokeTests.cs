using System.Diagnostics;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Benchmarks;

/// <summary>The benchmark harness still runs and prints its table (a tiny run; its numbers are not judged here).</summary>
public sealed class BenchmarkSmokeTests
{
    [Fact]
    public async Task LedgerBenchmark_TinyRun_PrintsBothStoresAndTheRatio()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { SiloProcess.AssemblyPath("bench", "Bench", "BudgetCluster.Bench.dll"), "ledger", "--gateways", "2", "--batches", "3", "--events", "10" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, error + output);
        Assert.Contains("2 gateways x 3 batches x 10 events = 60 events", output, StringComparison.Ordinal);
        Assert.Contains("group commit (SqliteUsageLedger)", output, StringComparison.Ordinal);
        Assert.Contains("baseline: one commit per batch", output, StringComparison.Ordinal);
        Assert.Contains("ratio (group commit / baseline):", output, StringComparison.Ordinal);
    }
}
