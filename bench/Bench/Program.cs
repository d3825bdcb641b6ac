using BudgetCluster.Bench;

var options = new Options(args.Skip(1).ToArray());
return args.FirstOrDefault() switch
{
    "ledger" => await LedgerBenchmark.RunAsync(options),
    "ingest" => await IngestBenchmark.RunAsync(options),
    "propagation" => await PropagationBenchmark.RunAsync(options),
    "budget-check" => await BudgetCheckBenchmark.RunAsync(options),
    "memory" => await MemoryBenchmark.RunAsync(options),
    "usage-query" => await UsageQueryBenchmark.RunAsync(options),
    "rollup-cost" => await RollupCostBenchmark.RunAsync(options),
    "fold" => await FoldBenchmark.RunAsync(options),
    "definitions" => await DefinitionsBenchmark.RunAsync(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Bench -- SCENARIO [options]");
    Console.Error.WriteLine("  ledger [--gateways 32] [--batches 40] [--events 100]");
    Console.Error.WriteLine("  " + IngestBenchmark.Usage);
    Console.Error.WriteLine("  " + PropagationBenchmark.Usage);
    Console.Error.WriteLine("  " + BudgetCheckBenchmark.Usage);
    Console.Error.WriteLine("  " + MemoryBenchmark.Usage);
    Console.Error.WriteLine("  " + UsageQueryBenchmark.Usage);
    Console.Error.WriteLine("  " + RollupCostBenchmark.Usage);
    Console.Error.WriteLine("  " + FoldBenchmark.Usage);
    Console.Error.WriteLine("  " + DefinitionsBenchmark.Usage);
    return 2;
}
