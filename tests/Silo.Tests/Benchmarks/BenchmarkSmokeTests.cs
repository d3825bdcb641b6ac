using System.Diagnostics;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Benchmarks;

/// <summary>Every scenario of the benchmark harness still runs and prints its table (tiny runs; their numbers are not judged here).</summary>
public sealed class BenchmarkSmokeTests
{
    [Fact]
    public async Task LedgerBenchmark_TinyRun_PrintsBothStoresAndTheRatio()
    {
        var output = await RunAsync("ledger", "--gateways", "2", "--batches", "3", "--events", "10");

        Assert.Contains("2 gateways x 3 batches x 10 events = 60 events", output, StringComparison.Ordinal);
        Assert.Contains("group commit (SqliteUsageLedger)", output, StringComparison.Ordinal);
        Assert.Contains("baseline: one commit per batch", output, StringComparison.Ordinal);
        Assert.Contains("ratio (group commit / baseline):", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite", "1")]
    [InlineData("postgres", "2")]
    public async Task IngestBenchmark_TinyRun_PrintsClusterBaselineFloorAndRatios(string store, string silos)
    {
        var output = await RunAsync("ingest", "--store", store, "--silos", silos, "--gateways", "2", "--batch", "20", "--duration", "2", "--warmup", "1");

        Assert.Contains("| cluster: ", output, StringComparison.Ordinal);
        Assert.Contains("| baseline: parse + ledger, no cluster", output, StringComparison.Ordinal);
        Assert.Contains("ratio (cluster / baseline events/s):", output, StringComparison.Ordinal);
        Assert.Contains("| floor: HTTPS + mTLS echo, no work", output, StringComparison.Ordinal);
        Assert.Contains("ratio (cluster / floor events/s):", output, StringComparison.Ordinal);
        Assert.Contains("CPU per event: cluster processes", output, StringComparison.Ordinal);
        Assert.DoesNotContain("last failure:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PropagationBenchmark_TinyRun_MeasuresDenyAndPushForEveryBudget()
    {
        var output = await RunAsync("propagation", "--budgets", "3", "--parallel", "2", "--load-rate", "400", "--gateways", "2", "--batch", "20");

        Assert.Matches(@"\| ack -> budget_check denies\s+\|\s+3 \|", output);
        Assert.Matches(@"\| ack -> SSE budget.exceeded received\s+\|\s+3 \|", output);
    }

    [Fact]
    public async Task BudgetCheckBenchmark_TinyRun_AnswersEveryCheck()
    {
        var output = await RunAsync("budget-check", "--rate", "200", "--duration", "2", "--warmup", "1", "--connections", "2", "--keys", "20", "--budgets", "10");

        Assert.Contains("| service time (sent -> answered)", output, StringComparison.Ordinal);
        Assert.Contains(", 0 non-200)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MemoryBenchmark_TinyRun_ReadsTheSiloAfterEveryStepOfBudgetsAndOfGateways()
    {
        var output = await RunAsync("memory", "--budgets", "20", "--orgs", "4", "--steps", "2", "--gateways", "4", "--gateways-per-env", "2");

        Assert.Matches(@"\| 20\s+\|\s+[\d.,]+ \|", output);
        Assert.Contains("created and charged 20 budgets", output, StringComparison.Ordinal);
        Assert.Contains("| active gateways", output, StringComparison.Ordinal);
        Assert.Matches(@"\| 4\s+\|\s+[\d.,]+ \|", output);
    }

    [Fact]
    public async Task DefinitionsBenchmark_TinyRun_ReportsEveryStep()
    {
        var output = await RunAsync("definitions", "--budgets", "20", "--steps", "2", "--gateways", "1", "--changes", "3");

        Assert.Matches(@"\| 10\s+\|\s+[\d,]+ \|\s+[\d.,]+ \|", output);
        Assert.Matches(@"\| 20\s+\|\s+[\d,]+ \|\s+[\d.,]+ \|", output);
    }

    private static async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(RepositoryPrograms.PathOf("bench", "Bench", "BudgetCluster.Bench.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(process.ExitCode == 0, await error + await output);
        return await output;
    }
}
