using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace BudgetCluster.Bench;

/// <summary>
/// One onboarded organisation, made through the admin API as a budget owner would: an org, an
/// environment, the fixtures' three priced models, budgets, and gateways with their own certificates.
/// </summary>
internal sealed class Tenant : IDisposable
{
    /// <summary>The tenant of every scenario but the many-org memory run.</summary>
    public const string DefaultName = "bench";

    private readonly HttpClient _admin;
    private readonly Cluster _cluster;

    private Tenant(Cluster cluster, string name)
    {
        _cluster = cluster;
        OrgId = "org-" + name;
        EnvironmentId = "env-" + name;
        _admin = new HttpClient { BaseAddress = cluster.AdminUri, Timeout = TimeSpan.FromSeconds(120) };
        _admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Token);
    }

    public string OrgId { get; }

    public string EnvironmentId { get; }

    /// <summary>Creates the org and its environment, and the fixtures' models unless <paramref name="models"/> is false (model ids are global).</summary>
    public static async Task<Tenant> CreateAsync(Cluster cluster, string name = DefaultName, bool models = true)
    {
        var tenant = new Tenant(cluster, name);
        await tenant.SendAsync(HttpMethod.Put, $"/api/v1/orgs/{tenant.OrgId}", """{"name":"Bench","fail_mode":"closed"}""");
        await tenant.SendAsync(HttpMethod.Put, $"/api/v1/environments/{tenant.EnvironmentId}", $$"""{"org_id":"{{tenant.OrgId}}","name":"Production"}""");
        if (!models)
        {
            return tenant;
        }

        await tenant.SendAsync(HttpMethod.Put, "/api/v1/models/m-gpt-4o", $$$"""
            {"environment_id":"{{{tenant.EnvironmentId}}}","name":"gpt-4o",
             "pricing":{"input_per_mtok":"2.50","output_per_mtok":"10","cached_input_per_mtok":"1.25"}}
            """);
        await tenant.SendAsync(HttpMethod.Put, "/api/v1/models/m-claude-primary", $$$"""
            {"environment_id":"{{{tenant.EnvironmentId}}}","name":"claude-sonnet-primary","provider_key_id":"pk-anthropic",
             "pricing":{"input_per_mtok":"3","output_per_mtok":"15"}}
            """);
        await tenant.SendAsync(HttpMethod.Put, "/api/v1/models/m-claude-secondary", $$$"""
            {"environment_id":"{{{tenant.EnvironmentId}}}","name":"claude-sonnet-secondary",
             "pricing":{"input_per_mtok":"3.00","output_per_mtok":"15.00","cache_write_per_mtok":"3.75","cache_read_per_mtok":"0.30"}}
            """);
        return tenant;
    }

    /// <summary>Creates a budget; returns its id.</summary>
    public async Task<string> CreateBudgetAsync(string scopeType, string scopeRef, decimal limitUsd, string mode = "hard_stop")
    {
        var created = await SendAsync(HttpMethod.Post, "/api/v1/budgets", BudgetBody(scopeType, scopeRef, limitUsd, mode));
        return (string)created["id"]!;
    }

    /// <summary>Replaces a budget's policy (<c>PUT /budgets/{id}</c>).</summary>
    public Task PutBudgetAsync(string budgetId, string scopeType, string scopeRef, decimal limitUsd, string mode = "hard_stop") =>
        SendAsync(HttpMethod.Put, "/api/v1/budgets/" + budgetId, BudgetBody(scopeType, scopeRef, limitUsd, mode));

    private string BudgetBody(string scopeType, string scopeRef, decimal limitUsd, string mode) => $$$"""
        {"org_id":"{{{OrgId}}}","name":"{{{scopeType}}} {{{scopeRef}}}","scope":{"type":"{{{scopeType}}}","ref":"{{{scopeRef}}}"},
         "limit_usd":"{{{limitUsd.ToString(CultureInfo.InvariantCulture)}}}","period":"month","mode":"{{{mode}}}"}
        """;

    /// <summary>Creates many budgets, several requests at a time; returns their ids in order.</summary>
    public async Task<string[]> CreateBudgetsAsync(int count, Func<int, (string Type, string Ref, decimal Limit)> budget, int parallel = 8)
    {
        var ids = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, _) =>
        {
            var (type, scopeRef, limit) = budget(i);
            ids[i] = await CreateBudgetAsync(type, scopeRef, limit);
        });
        return ids;
    }

    /// <summary>Registers API keys in the environment (budget_check answers only for registered keys).</summary>
    public Task RegisterKeysAsync(IEnumerable<string> keys, int parallel = 8) =>
        Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (key, _) =>
            await SendAsync(HttpMethod.Put, $"/api/v1/api-keys/{key}", $$"""{"environment_id":"{{EnvironmentId}}"}"""));

    /// <summary>Issues one certificate per gateway through the admin API.</summary>
    public async Task<Gateway[]> IssueGatewaysAsync(int count, string prefix, int connectionsEach = 4)
    {
        var gateways = new Gateway[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            var dpId = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i:D3}");
            var issued = await SendAsync(HttpMethod.Post, $"/api/v1/environments/{EnvironmentId}/gateway-certificates", $$"""{"dp_id":"{{dpId}}"}""");
            var certificate = X509Certificate2.CreateFromPem((string)issued["certificate_pem"]!, (string)issued["private_key_pem"]!);
            var ca = X509Certificate2.CreateFromPem((string)issued["ca_pem"]!);
            gateways[i] = new Gateway(_cluster.DataPlaneUri, certificate, ca, dpId, connectionsEach);
        });
        return gateways;
    }

    public async Task<JsonNode> GetAsync(string path) => await SendAsync(HttpMethod.Get, path, null);

    private async Task<JsonNode> SendAsync(HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await _admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonNode.Parse(text)!
            : throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
    }

    public void Dispose() => _admin.Dispose();
}
