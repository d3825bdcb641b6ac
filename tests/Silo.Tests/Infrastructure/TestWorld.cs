using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>
/// An onboarded tenant: org, environment, priced models and one gateway with its certificate.
/// Model ids are global in the API, so the fixture files' model ids get this world's suffix.
/// </summary>
public sealed partial class TestWorld : IDisposable
{
    private TestWorld(string suffix, AdminClient admin, GatewayClient gateway)
    {
        Suffix = suffix;
        Admin = admin;
        Gateway = gateway;
    }

    public string Suffix { get; }

    public string OrgId => "org-" + Suffix;

    public string EnvironmentId => "env-" + Suffix;

    public AdminClient Admin { get; }

    public GatewayClient Gateway { get; }

    public static async Task<TestWorld> CreateAsync(SiloFixture silo)
    {
        // A test posts events "now" and reads its budgets' current period: not across a boundary.
        await TestClock.AwayFromPeriodBoundaryAsync();
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var admin = silo.Admin();
        await admin.PutOkAsync($"/api/v1/orgs/org-{suffix}", """{"name":"Acme","fail_mode":"closed"}""");
        await admin.PutOkAsync($"/api/v1/environments/env-{suffix}", $$$"""{"org_id":"org-{{{suffix}}}","name":"Production"}""");
        await admin.PutOkAsync($"/api/v1/models/m-gpt-4o-{suffix}", $$$"""
            {"environment_id":"env-{{{suffix}}}","name":"gpt-4o",
             "pricing":{"input_per_mtok":"2.50","output_per_mtok":10,"cached_input_per_mtok":1.25}}
            """);
        await admin.PutOkAsync($"/api/v1/models/m-claude-primary-{suffix}", $$$"""
            {"environment_id":"env-{{{suffix}}}","name":"claude-sonnet-primary","provider_key_id":"pk-anthropic",
             "pricing":{"input_per_mtok":3,"output_per_mtok":15}}
            """);
        await admin.PutOkAsync($"/api/v1/models/m-claude-secondary-{suffix}", $$$"""
            {"environment_id":"env-{{{suffix}}}","name":"claude-sonnet-secondary",
             "pricing":{"input_per_mtok":"3.00","output_per_mtok":"15.00","cache_write_per_mtok":"3.75","cache_read_per_mtok":"0.30"}}
            """);
        var gateway = await IssueGatewayAsync(silo, admin, $"env-{suffix}", "dp-east-1");
        return new TestWorld(suffix, admin, gateway);
    }

    /// <summary>Issues a certificate through the admin API and returns a client that presents it.</summary>
    public static async Task<GatewayClient> IssueGatewayAsync(SiloFixture silo, AdminClient admin, string environmentId, string dpId)
    {
        var issued = await admin.PostOkAsync($"/api/v1/environments/{environmentId}/gateway-certificates", $$$"""{"dp_id":"{{{dpId}}}"}""");
        var certificate = X509Certificate2.CreateFromPem((string)issued["certificate_pem"]!, (string)issued["private_key_pem"]!);
        var ca = X509Certificate2.CreateFromPem((string)issued["ca_pem"]!);
        return new GatewayClient(silo.DataPlaneUri, certificate, ca, environmentId, dpId);
    }

    /// <summary>
    /// A file of tests/fixtures/aisix with this world's model ids, its events occurring now (the
    /// test clock's second), so they count toward every budget's current period on any date.
    /// </summary>
    public string Fixture(string name) =>
        OccurredAtPattern().Replace(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", name)), $"\"occurred_at\": \"{UsageEvents.Timestamp(TestClock.Now)}\"")
            .Replace("\"m-gpt-4o\"", $"\"m-gpt-4o-{Suffix}\"", StringComparison.Ordinal)
            .Replace("\"m-claude-primary\"", $"\"m-claude-primary-{Suffix}\"", StringComparison.Ordinal)
            .Replace("\"m-claude-secondary\"", $"\"m-claude-secondary-{Suffix}\"", StringComparison.Ordinal);

    [GeneratedRegex("\"occurred_at\":\\s*\"[^\"]*\"")]
    private static partial Regex OccurredAtPattern();

    public Task<JsonNode> GatewayDetailAsync(string dpId = "dp-east-1") =>
        Admin.GetOkAsync($"/api/v1/environments/{EnvironmentId}/gateways/{dpId}");

    public void Dispose()
    {
        Admin.Dispose();
        Gateway.Dispose();
    }
}
