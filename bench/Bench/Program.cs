using BudgetCluster.Bench;

return args.FirstOrDefault() switch
{
    "ledger" => await LedgerBenchmark.RunAsync(args.Skip(1).ToArray()),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Bench -- ledger [--gateways N] [--batches N] [--events N]");
    return 2;
}
