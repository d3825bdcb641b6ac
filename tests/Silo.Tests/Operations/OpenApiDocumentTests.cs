using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Operations;

/// <summary>What the OpenAPI document says, as a generator reads it.</summary>
public sealed class OpenApiDocumentTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task EveryAdminOperation_NeedsTheBearerToken_AndDocuments401And503AndASuccess()
    {
        var document = await DocumentAsync();

        Assert.Equal("bearer", (string)document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!);
        Assert.All(document["paths"]!.AsObject().Select(path => path.Key), path => Assert.True(path.StartsWith("/api/v1/", StringComparison.Ordinal) || path == "/healthz", path));
        foreach (var (path, item) in document["paths"]!.AsObject().Where(path => path.Key.StartsWith("/api/v1/", StringComparison.Ordinal)))
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var responses = operation!["responses"]!.AsObject().Select(response => response.Key).ToList();
                Assert.True(responses.Contains("401") && responses.Contains("503"), $"{method} {path}: {string.Join(",", responses)}");
                Assert.True(responses.Any(status => status.StartsWith('2')), $"{method} {path} documents no success");
                Assert.NotNull(operation["security"]);
            }
        }
    }

    [Fact]
    public async Task Bodies_AreSnakeCase_WithMoneyAsDecimalStrings()
    {
        var schemas = (await DocumentAsync())["components"]!["schemas"]!;

        var limit = schemas["BudgetBody"]!["properties"]!["limit_usd"]!;
        Assert.Contains("string", limit["type"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("number", limit["type"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("decimal", (string)limit["format"]!);
        Assert.NotNull(schemas["PricingBody"]!["properties"]!["input_per_mtok"]);
        Assert.NotNull(schemas["BudgetStatusView"]!["properties"]!["spent_usd"]);
    }

    [Fact]
    public async Task QueryParametersHandlersReadThemselves_AreDocumented()
    {
        var paths = (await DocumentAsync())["paths"]!;

        Assert.Equal(["limit", "page"], QueryNames(paths["/api/v1/orgs"]!["get"]!));
        Assert.Equal(["environment_id", "limit", "page"], QueryNames(paths["/api/v1/api-keys"]!["get"]!));
        Assert.Equal(["after", "limit", "environment_id"], QueryNames(paths["/api/v1/orgs/{org_id}/usage-events"]!["get"]!));
        var usage = paths["/api/v1/orgs/{org_id}/usage"]!["get"]!;
        Assert.Contains("starting_at", QueryNames(usage));
        Assert.Contains("group_by", QueryNames(usage));
        Assert.Contains("model_id", QueryNames(usage));
        var startingAt = usage["parameters"]!.AsArray().Single(p => (string)p!["name"]! == "starting_at")!;
        Assert.True((bool)startingAt["required"]!);
    }

    private static List<string> QueryNames(JsonNode operation) =>
        [.. operation["parameters"]!.AsArray().Where(p => (string)p!["in"]! == "query").Select(p => (string)p!["name"]!)];

    private async Task<JsonNode> DocumentAsync()
    {
        using var anonymous = silo.Admin(null);
        using var response = await anonymous.GetAsync("/openapi/v1.json");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}
