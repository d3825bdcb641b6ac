using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using Npgsql;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.FaultInjection;

/// <summary>
/// The production shape in real processes on PostgreSQL: two silos (no data plane), one separate
/// ingress on a fixed port, an org budget, and gateways that stream batches and send again, unchanged,
/// whatever was not acknowledged with a 200 (what the contract asks of them).
/// </summary>
internal sealed class FaultScenario : IAsyncDisposable
{
    public const int Gateways = 4;
    public const int BatchesPerGateway = 25;
    public const int EventsPerBatch = 20;
    public const decimal CostPerEvent = 0.001m;

    private readonly string _connectionString;
    private readonly string _dataDirectory;
    private readonly string[] _clientArguments;
    private readonly List<GatewayClient> _gateways = [];
    private AdminClient _admin = null!;
    private string _budgetId = "";

    private FaultScenario(string connectionString, string dataDirectory)
    {
        _connectionString = connectionString;
        _dataDirectory = dataDirectory;
        IngressPort = LocalEndpoints.FreePort();
        _clientArguments = PostgresCluster.Arguments(connectionString);
    }

    public SiloProcess Survivor { get; private set; } = null!;

    public SiloProcess Victim { get; private set; } = null!;

    public SiloProcess Ingress { get; private set; } = null!;

    public int IngressPort { get; }

    public AdminClient Admin => _admin;

    public GatewayClient Gateway(int index) => _gateways[index];

    /// <summary>Sends batch <paramref name="batch"/> of gateway <paramref name="gateway"/> until it is acknowledged.</summary>
    public async Task SendUntilAcknowledgedAsync(int gateway, int batch)
    {
        var (body, _) = Batch(gateway, batch);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            try
            {
                using var response = await _gateways[gateway].PostTelemetryAsync(body);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"batch {batch} of gateway {gateway} was never acknowledged");
    }

    /// <summary>Sends that were not acknowledged and were sent again.</summary>
    public int Retries => _retries;

    private int _retries;
    private int _unavailableWithRetryAfter;

    /// <summary>Refusals that were a 503 with Retry-After (the contract's answer when durability cannot be promised).</summary>
    public int UnavailableWithRetryAfter => _unavailableWithRetryAfter;

    public static async Task<FaultScenario> StartAsync(string connectionString, string dataDirectory)
    {
        var scenario = new FaultScenario(connectionString, dataDirectory);
        string[] silo = [.. scenario._clientArguments, "--DataPlane:Enabled=false"];
        try
        {
            scenario.Survivor = await SiloProcess.StartAsync(dataDirectory, silo);
            scenario.Victim = await SiloProcess.StartAsync(dataDirectory, silo);
            scenario.Ingress = await scenario.StartIngressAsync();
            await scenario.OnboardAsync();
            return scenario;
        }
        catch
        {
            // No process outlives a scenario that could not start.
            await scenario.DisposeAsync();
            throw;
        }
    }

    /// <summary>A (new) ingress on the scenario's fixed port, as a restarted process would be.</summary>
    public Task<SiloProcess> StartIngressAsync() =>
        SiloProcess.StartIngressAsync(_dataDirectory, IngressPort, _clientArguments);

    public async Task ReplaceIngressAsync()
    {
        await Ingress.KillAsync();
        await Ingress.DisposeAsync();
        Ingress = await StartIngressAsync();
    }

    /// <summary>Streams every gateway's batches; runs <paramref name="fault"/> once, after <paramref name="faultAfter"/>.</summary>
    public async Task<IReadOnlyCollection<string>> StreamAsync(TimeSpan faultAfter, Func<Task> fault)
    {
        var acknowledged = new ConcurrentDictionary<string, bool>();
        // The fault comes after faultAfter or once half the events are acknowledged, whichever is
        // first: on a fast machine the gateways could otherwise be done before it, testing nothing.
        var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var streams = Enumerable.Range(0, Gateways).Select(g => Task.Run(async () =>
        {
            for (var b = 0; b < BatchesPerGateway; b++)
            {
                var (body, ids) = Batch(g, b);
                while (true)
                {
                    try
                    {
                        using var response = await _gateways[g].PostTelemetryAsync(body);
                        if (response.IsSuccessStatusCode)
                        {
                            ids.ForEach(id => acknowledged[id] = true);
                            if (acknowledged.Count >= Gateways * BatchesPerGateway * EventsPerBatch / 2)
                            {
                                halfway.TrySetResult();
                            }

                            break;
                        }

                        if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is not null)
                        {
                            Interlocked.Increment(ref _unavailableWithRetryAfter);
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                    }

                    Interlocked.Increment(ref _retries);
                    await Task.Delay(100);
                }

                await Task.Delay(20);
            }
        })).ToList();

        await Task.WhenAny(Task.Delay(faultAfter), halfway.Task);
        await fault();
        await Task.WhenAll(streams);
        return acknowledged.Keys.ToList();
    }

    /// <summary>D1 and D2: each acknowledged event once in the ledger; the budget and every gateway agree with it.</summary>
    public async Task AssertExactlyOnceAsync(IReadOnlyCollection<string> acknowledged)
    {
        Assert.Equal(Gateways * BatchesPerGateway * EventsPerBatch, acknowledged.Count);
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using (var count = dataSource.CreateCommand("SELECT count(*), count(DISTINCT request_id), sum(cost_usd) FROM usage_ledger"))
        await using (var reader = await count.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Equal(acknowledged.Count, reader.GetInt64(0));
            Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
            Assert.Equal(acknowledged.Count * CostPerEvent, reader.GetDecimal(2));
        }

        // Grains that were on a killed silo, or failed during an outage, come back from snapshot and ledger.
        // A 503 is a fair answer while the cluster recovers (a pooled connection from before a
        // PostgreSQL restart fails once, a grain of a killed silo is still being placed): ask again.
        JsonNode report = null!;
        for (var attempt = 0; attempt < 75; attempt++)
        {
            using var response = await _admin.GetAsync("/api/v1/orgs/acme/reconciliation");
            if (response.IsSuccessStatusCode)
            {
                report = await Http.ReadOkAsync(response);
                if (!(bool)report["drift"]!)
                {
                    break;
                }
            }

            await Task.Delay(200);
        }

        Assert.NotNull(report);

        Assert.False((bool)report["drift"]!, report.ToJsonString());
        var budget = await _admin.GetOkAsync($"/api/v1/budgets/{_budgetId}/status");
        Assert.Equal(acknowledged.Count * CostPerEvent, decimal.Parse((string)budget["spent_usd"]!, CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        _gateways.ForEach(g => g.Dispose());
        _admin?.Dispose();
        // Any of them may be missing when the scenario failed to start.
        foreach (var process in new SiloProcess?[] { Ingress, Victim, Survivor })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }
    }

    private async Task OnboardAsync()
    {
        // The scenario checks a monthly budget against every acknowledged event: one period throughout.
        await TestClock.AwayFromPeriodBoundaryAsync(TimeSpan.FromMinutes(2));
        _admin = new AdminClient(Survivor.AdminUri, SiloFixture.Token);
        // A silo start that lost its admin port to another process (SiloProcess starts it again)
        // may have joined the cluster first: until it is voted out, calls to grains it took answer 503.
        await UntilAvailableAsync(() => _admin.PutAsync("/api/v1/orgs/acme", """{"name":"Acme"}"""));
        await UntilAvailableAsync(() => _admin.PutAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}"""));
        await UntilAvailableAsync(() => _admin.PutAsync("/api/v1/api-keys/k", """{"environment_id":"prod"}"""));
        _budgetId = (string)(await _admin.PostOkAsync("/api/v1/budgets", """
            {"org_id":"acme","name":"all","scope":{"type":"org","ref":"acme"},"limit_usd":"1000","period":"month","mode":"hard_stop"}
            """))["id"]!;
        for (var g = 0; g < Gateways; g++)
        {
            _gateways.Add(await GatewayClient.IssueAsync(_admin, new Uri($"https://127.0.0.1:{IngressPort}"), "prod", $"dp-{g}"));
        }
    }

    private static async Task UntilAvailableAsync(Func<Task<HttpResponseMessage>> send)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await send();
            if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
            {
                await Http.ReadOkAsync(response);
                return;
            }

            await Task.Delay(500);
        }
    }

    /// <summary>A batch; built once, so every resend is byte for byte the same (occurred_at included).</summary>
    private static (string Body, List<string> Ids) Batch(int gateway, int batch)
    {
        var occurredAt = TestClock.Now;
        var ids = Enumerable.Range(0, EventsPerBatch).Select(e => $"g{gateway}-b{batch}-e{e}").ToList();
        var body = UsageEvents.Body(ids.Select(id => UsageEvents.Event(
            id, occurredAt, apiKeyId: "k", promptTokens: 10, completionTokens: 10, cost: CostPerEvent.ToString(CultureInfo.InvariantCulture))));
        return (body, ids);
    }
}
