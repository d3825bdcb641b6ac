using System.Net;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Admin;

/// <summary>API.md §4 (v2): the lists with paging, the deletes and their 409s, and no move across orgs.</summary>
public sealed class AdminResourceTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    private const string Pricing = """{"input_per_mtok":1,"output_per_mtok":2}""";

    [Fact]
    public async Task Lists_PagedTwoAtATime_ShowEveryEntryOnceInIdOrder()
    {
        using var admin = silo.Admin();
        var suffix = Suffix();
        var org = $"org-{suffix}";
        await admin.PutOkAsync($"/api/v1/orgs/{org}", """{"name":"Paged"}""");
        string[] environments = [$"env-c-{suffix}", $"env-a-{suffix}", $"env-b-{suffix}"];
        foreach (var environment in environments)
        {
            await admin.PutOkAsync($"/api/v1/environments/{environment}", $$"""{"org_id":"{{org}}","name":"E"}""");
        }

        var home = environments[1];
        string[] models = [.. Enumerable.Range(0, 5).Select(i => $"m-{4 - i}-{suffix}")];
        foreach (var model in models)
        {
            await admin.PutOkAsync($"/api/v1/models/{model}", $$"""{"environment_id":"{{home}}","name":"n","pricing":{{Pricing}}}""");
        }

        string[] keys = [.. Enumerable.Range(0, 5).Select(i => $"k-{i}-{suffix}")];
        foreach (var key in keys)
        {
            await admin.PutOkAsync($"/api/v1/api-keys/{key}", $$"""{"environment_id":"{{home}}","team_id":"t-1"}""");
        }

        var listedEnvironments = await ReadAllAsync(admin, $"/api/v1/environments?org_id={org}&limit=2", "environment_id");
        var listedModels = await ReadAllAsync(admin, $"/api/v1/models?environment_id={home}&limit=2", "model_id");
        var listedKeys = await ReadAllAsync(admin, $"/api/v1/api-keys?environment_id={home}&limit=2", "api_key_id");

        Assert.Equal(environments.Order(StringComparer.Ordinal), listedEnvironments.Select(Id("environment_id")));
        Assert.Equal(models.Order(StringComparer.Ordinal), listedModels.Select(Id("model_id")));
        Assert.Equal(keys.Order(StringComparer.Ordinal), listedKeys.Select(Id("api_key_id")));
        Assert.Equal("t-1", (string)listedKeys[0]["team_id"]!);
        Assert.Equal("1.00", (string)listedModels[0]["pricing"]!["input_per_mtok"]!);
        Assert.All(listedEnvironments, environment => Assert.Equal(org, (string)environment["org_id"]!));
    }

    [Fact]
    public async Task ListOrgs_ShowsEveryOrgInIdOrder_AndADeletedOneNoMore()
    {
        using var admin = silo.Admin();
        var suffix = Suffix();
        string[] orgs = [$"org-{suffix}-2", $"org-{suffix}-0", $"org-{suffix}-1"];
        foreach (var org in orgs)
        {
            await admin.PutOkAsync($"/api/v1/orgs/{org}", """{"name":"Listed","fail_mode":"open"}""");
        }

        using var deleted = await admin.DeleteAsync($"/api/v1/orgs/{orgs[2]}");
        var listed = await ReadAllAsync(admin, "/api/v1/orgs?limit=1", "org_id");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var ours = listed.Where(org => ((string)org["org_id"]!).Contains(suffix, StringComparison.Ordinal)).ToList();
        Assert.Equal([orgs[1], orgs[0]], ours.Select(Id("org_id")));
        Assert.Equal("open", (string)ours[0]["fail_mode"]!);
        var all = listed.Select(Id("org_id")).ToList();
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
    }

    [Theory]
    [InlineData("/api/v1/models?environment_id={env}&limit=0", 400, "'limit' must be an integer from 1 to 1000")]
    [InlineData("/api/v1/models?environment_id={env}&limit=1001", 400, "'limit' must be an integer from 1 to 1000")]
    [InlineData("/api/v1/api-keys?environment_id={env}&limit=ten", 400, "'limit' must be an integer from 1 to 1000")]
    [InlineData("/api/v1/models?environment_id={env}&page=not-a-page", 400, "'page' is not a page of this models list: pass the next_page of its previous answer")]
    [InlineData("/api/v1/api-keys?environment_id={env}&page={models-page}", 400, "'page' is not a page of this api-keys list: pass the next_page of its previous answer")]
    [InlineData("/api/v1/models?environment_id={env}&page={models-page}&page={models-page}", 400, "'page' must be given at most once")]
    [InlineData("/api/v1/models", 400, "query parameter 'environment_id' is required")]
    [InlineData("/api/v1/environments", 400, "query parameter 'org_id' is required")]
    [InlineData("/api/v1/environments?org_id=acme%0A", 400, "'org_id' must be 1-128 characters of letters, digits and . _ : @ -, starting with a letter or digit")]
    [InlineData("/api/v1/api-keys?environment_id=env-nowhere", 404, "environment 'env-nowhere' not found")]
    [InlineData("/api/v1/environments?org_id=org-nowhere", 404, "org 'org-nowhere' not found")]
    [InlineData("/api/v1/orgs?limit=-1", 400, "'limit' must be an integer from 1 to 1000")]
    public async Task Lists_BadParameters_AreRefusedByName_AndTheListStillAnswers(string path, int status, string message)
    {
        using var world = await silo.OnboardAsync();
        var firstPage = await world.Admin.GetOkAsync($"/api/v1/models?environment_id={world.EnvironmentId}&limit=1");
        var modelsPage = Uri.EscapeDataString((string)firstPage["next_page"]!);

        using var response = await world.Admin.GetAsync(path.Replace("{env}", world.EnvironmentId, StringComparison.Ordinal)
            .Replace("{models-page}", modelsPage, StringComparison.Ordinal));

        Assert.Equal(message, await Http.ReadProblemAsync(response, (HttpStatusCode)status));
        var models = await ReadAllAsync(world.Admin, $"/api/v1/models?environment_id={world.EnvironmentId}", "model_id");
        Assert.Equal(3, models.Count);
    }

    [Fact]
    public async Task DeleteModelAndKey_LaterEventsAreUnpricedAndUnbound_AndStoredSpendStays()
    {
        using var world = await silo.OnboardAsync();
        var model = $"m-gpt-4o-{world.Suffix}";
        var key = $"k-{world.Suffix}";
        await world.Admin.PutOkAsync($"/api/v1/api-keys/{key}", $$"""{"environment_id":"{{world.EnvironmentId}}","team_id":"t-1"}""");
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body([UsageEvents.Event("before", modelId: model, apiKeyId: key)]));
        var spentBefore = (string)(await world.GatewayDetailAsync())["usage"]!["spend_usd"]!;

        using var deleteModel = await world.Admin.DeleteAsync($"/api/v1/models/{model}");
        using var deleteKey = await world.Admin.DeleteAsync($"/api/v1/api-keys/{key}");
        using var again = await world.Admin.DeleteAsync($"/api/v1/models/{model}");
        using var getModel = await world.Admin.GetAsync($"/api/v1/models/{model}");
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body([UsageEvents.Event("after", modelId: model, apiKeyId: key)]));

        Assert.Equal(HttpStatusCode.NoContent, deleteModel.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleteKey.StatusCode);
        Assert.Equal($"model '{model}' not found", await Http.ReadProblemAsync(again, HttpStatusCode.NotFound));
        Assert.Equal($"model '{model}' not found", await Http.ReadProblemAsync(getModel, HttpStatusCode.NotFound));
        var detail = await world.GatewayDetailAsync();
        Assert.NotEqual("0.000000", spentBefore);
        Assert.Equal(spentBefore, (string)detail["usage"]!["spend_usd"]!);
        Assert.Equal(1, (long)detail["telemetry"]!["events_unpriced"]!);
        Assert.Equal(1, (long)detail["telemetry"]!["events_unbound_key"]!);
        var models = await ReadAllAsync(world.Admin, $"/api/v1/models?environment_id={world.EnvironmentId}", "model_id");
        Assert.DoesNotContain(model, models.Select(Id("model_id")));
        Assert.Equal(2, models.Count);
    }

    [Fact]
    public async Task DeleteEnvironment_WhileItHasModelsKeysOrLiveCertificates_Is409NamingThem_ThenGoesWhenTheyAreGone()
    {
        using var world = await silo.OnboardAsync();
        var environment = world.EnvironmentId;
        await world.Admin.PutOkAsync($"/api/v1/api-keys/k-{world.Suffix}", $$"""{"environment_id":"{{environment}}"}""");
        var serial = (string)(await world.Admin.GetOkAsync($"/api/v1/environments/{environment}/gateway-certificates"))[0]!["serial"]!;

        using var refused = await world.Admin.DeleteAsync($"/api/v1/environments/{environment}");
        var refusal = await Http.ReadProblemAsync(refused, HttpStatusCode.Conflict);
        foreach (var model in await ReadAllAsync(world.Admin, $"/api/v1/models?environment_id={environment}", "model_id"))
        {
            using var _ = await world.Admin.DeleteAsync($"/api/v1/models/{model["model_id"]}");
        }

        using var deleteKey = await world.Admin.DeleteAsync($"/api/v1/api-keys/k-{world.Suffix}");
        using var stillRefused = await world.Admin.DeleteAsync($"/api/v1/environments/{environment}");
        var stillRefusal = await Http.ReadProblemAsync(stillRefused, HttpStatusCode.Conflict);
        using var revoke = await world.Admin.DeleteAsync($"/api/v1/environments/{environment}/gateway-certificates/{serial}");
        using var deleted = await world.Admin.DeleteAsync($"/api/v1/environments/{environment}");
        using var gone = await world.Admin.GetAsync($"/api/v1/environments/{environment}");

        Assert.Equal(
            $"environment '{environment}' still has 3 models (m-claude-primary-{world.Suffix}, m-claude-secondary-{world.Suffix}, m-gpt-4o-{world.Suffix}), "
            + $"1 API key (k-{world.Suffix}) and 1 certificate neither revoked nor expired ({serial}): remove them first",
            refusal);
        Assert.Equal($"environment '{environment}' still has 1 certificate neither revoked nor expired ({serial}): remove them first", stillRefusal);
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal($"environment '{environment}' not found", await Http.ReadProblemAsync(gone, HttpStatusCode.NotFound));
        var listed = await world.Admin.GetOkAsync($"/api/v1/environments?org_id={world.OrgId}");
        Assert.Empty(listed["data"]!.AsArray());
    }

    [Fact]
    public async Task DeleteEnvironment_CreatedAgainInItsOrgOnly_StillRefusesItsOldRevokedCertificate()
    {
        using var world = await silo.OnboardAsync();
        var environment = world.EnvironmentId;
        var batch = UsageEvents.Body([UsageEvents.Event("r-1")]);
        await EmptyAsync(world);
        for (var deadline = DateTime.UtcNow.AddSeconds(10); !await RefusedAsync(world.Gateway, batch); await Task.Delay(50))
        {
            Assert.True(DateTime.UtcNow < deadline, "the revoked certificate was still accepted after 10 s");
        }

        using var deleted = await world.Admin.DeleteAsync($"/api/v1/environments/{environment}");
        await world.Admin.PutOkAsync($"/api/v1/orgs/org-other-{world.Suffix}", """{"name":"Other"}""");
        using var intoOtherOrg = await world.Admin.PutAsync($"/api/v1/environments/{environment}", $$"""{"org_id":"org-other-{{world.Suffix}}","name":"Taken"}""");
        await world.Admin.PutOkAsync($"/api/v1/environments/{environment}", $$"""{"org_id":"{{world.OrgId}}","name":"Again"}""");
        await world.Admin.PutOkAsync($"/api/v1/models/m-again-{world.Suffix}", $$"""{"environment_id":"{{environment}}","name":"n","pricing":{{Pricing}}}""");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(
            $"environment id '{environment}' was org '{world.OrgId}''s: its stored usage stays that org's, so the id cannot be created again in org 'org-other-{world.Suffix}'",
            await Http.ReadProblemAsync(intoOtherOrg, HttpStatusCode.Conflict));
        var certificates = await world.Admin.GetOkAsync($"/api/v1/environments/{environment}/gateway-certificates");
        Assert.NotNull((string?)certificates[0]!["revoked_at"]);
        // The new catalogs reach the data plane within a second; the certificate stays refused throughout.
        for (var end = DateTime.UtcNow.AddSeconds(2); DateTime.UtcNow < end; await Task.Delay(100))
        {
            Assert.True(await RefusedAsync(world.Gateway, batch), "the re-created environment accepted its old revoked certificate");
        }

        Assert.Equal(0, (long)(await world.GatewayDetailAsync())["telemetry"]!["events_accepted"]!);
    }

    [Fact]
    public async Task DeleteOrg_WhileItHasEnvironmentsOrBudgets_Is409NamingThem_ThenIsGone()
    {
        using var world = await silo.OnboardAsync();
        var budget = await world.Admin.PostOkAsync("/api/v1/budgets", $$"""
            {"org_id":"{{world.OrgId}}","name":"B","scope":{"type":"org","ref":"{{world.OrgId}}"},"limit_usd":10,"period":"month","mode":"hard_stop"}
            """);
        var budgetId = (string)budget["id"]!;

        using var refused = await world.Admin.DeleteAsync($"/api/v1/orgs/{world.OrgId}");
        var refusal = await Http.ReadProblemAsync(refused, HttpStatusCode.Conflict);
        await EmptyAsync(world);
        using var deleteEnvironment = await world.Admin.DeleteAsync($"/api/v1/environments/{world.EnvironmentId}");
        using var deleteBudget = await world.Admin.DeleteAsync($"/api/v1/budgets/{budgetId}");
        using var deleted = await world.Admin.DeleteAsync($"/api/v1/orgs/{world.OrgId}");
        using var again = await world.Admin.DeleteAsync($"/api/v1/orgs/{world.OrgId}");
        using var environmentInGoneOrg = await world.Admin.PutAsync($"/api/v1/environments/env-{Suffix()}", $$"""{"org_id":"{{world.OrgId}}","name":"E"}""");

        Assert.Equal($"org '{world.OrgId}' still has 1 environment ({world.EnvironmentId}) and 1 budget ({budgetId}): remove them first", refusal);
        Assert.Equal(HttpStatusCode.NoContent, deleteEnvironment.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleteBudget.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal($"org '{world.OrgId}' not found", await Http.ReadProblemAsync(again, HttpStatusCode.NotFound));
        Assert.Equal($"org '{world.OrgId}' not found", await Http.ReadProblemAsync(environmentInGoneOrg, HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task PutModelOrKey_IntoAnotherOrgsEnvironment_Is409_AndBothStayWhereTheyWere()
    {
        using var world = await silo.OnboardAsync();
        using var other = await silo.OnboardAsync();
        var model = $"m-gpt-4o-{world.Suffix}";
        var key = $"k-{world.Suffix}";
        await world.Admin.PutOkAsync($"/api/v1/api-keys/{key}", $$"""{"environment_id":"{{world.EnvironmentId}}"}""");
        var sibling = $"env-sibling-{world.Suffix}";
        await world.Admin.PutOkAsync($"/api/v1/environments/{sibling}", $$"""{"org_id":"{{world.OrgId}}","name":"Sibling"}""");

        using var movedModel = await world.Admin.PutAsync($"/api/v1/models/{model}", $$"""{"environment_id":"{{other.EnvironmentId}}","name":"gpt-4o","pricing":{{Pricing}}}""");
        using var movedKey = await world.Admin.PutAsync($"/api/v1/api-keys/{key}", $$"""{"environment_id":"{{other.EnvironmentId}}"}""");
        await world.Admin.PutOkAsync($"/api/v1/api-keys/{key}", $$"""{"environment_id":"{{sibling}}"}""");

        Assert.Equal(
            $"model '{model}' belongs to environment '{world.EnvironmentId}' of org '{world.OrgId}' and cannot move to environment '{other.EnvironmentId}' of org '{other.OrgId}'",
            await Http.ReadProblemAsync(movedModel, HttpStatusCode.Conflict));
        Assert.Equal(
            $"API key '{key}' belongs to environment '{world.EnvironmentId}' of org '{world.OrgId}' and cannot move to environment '{other.EnvironmentId}' of org '{other.OrgId}'",
            await Http.ReadProblemAsync(movedKey, HttpStatusCode.Conflict));
        Assert.Equal(world.EnvironmentId, (string)(await world.Admin.GetOkAsync($"/api/v1/models/{model}"))["environment_id"]!);
        Assert.Equal("2.50", (string)(await world.Admin.GetOkAsync($"/api/v1/models/{model}"))["pricing"]!["input_per_mtok"]!);
        Assert.DoesNotContain(model, (await world.Admin.GetOkAsync($"/api/v1/models?environment_id={other.EnvironmentId}"))["data"]!.AsArray()
            .Select(entry => (string)entry!["model_id"]!));
        Assert.Equal(sibling, (string)(await world.Admin.GetOkAsync($"/api/v1/api-keys/{key}"))["environment_id"]!);
        Assert.Single((await world.Admin.GetOkAsync($"/api/v1/api-keys?environment_id={sibling}"))["data"]!.AsArray());
    }

    /// <summary>True when the data plane refuses the gateway's certificate: a 401, or the connection reset during the handshake.</summary>
    private static async Task<bool> RefusedAsync(GatewayClient gateway, string batch)
    {
        try
        {
            using var response = await gateway.PostTelemetryAsync(batch);
            return response.StatusCode == HttpStatusCode.Unauthorized;
        }
        catch (HttpRequestException error) when (error.InnerException is IOException or System.Security.Authentication.AuthenticationException)
        {
            return true;
        }
    }

    /// <summary>Deletes the world's models and revokes its certificates, so its environment can go.</summary>
    private static async Task EmptyAsync(TestWorld world)
    {
        foreach (var model in await ReadAllAsync(world.Admin, $"/api/v1/models?environment_id={world.EnvironmentId}", "model_id"))
        {
            using var deleted = await world.Admin.DeleteAsync($"/api/v1/models/{model["model_id"]}");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        foreach (var certificate in (await world.Admin.GetOkAsync($"/api/v1/environments/{world.EnvironmentId}/gateway-certificates")).AsArray())
        {
            using var revoked = await world.Admin.DeleteAsync($"/api/v1/environments/{world.EnvironmentId}/gateway-certificates/{certificate!["serial"]}");
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }
    }

    /// <summary>Every entry of a list, following <c>next_page</c> until <c>has_more</c> is false; asserts the paging is consistent.</summary>
    private static async Task<List<JsonNode>> ReadAllAsync(AdminClient admin, string path, string idField)
    {
        var entries = new List<JsonNode>();
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        string? page = null;
        do
        {
            var answer = await admin.GetOkAsync(page is null ? path : $"{path}{separator}page={Uri.EscapeDataString(page)}");
            entries.AddRange(answer["data"]!.AsArray().Select(entry => entry!));
            page = (string?)answer["next_page"];
            Assert.Equal(page is not null, (bool)answer["has_more"]!);
        }
        while (page is not null);

        Assert.Equal(entries.Count, entries.Select(Id(idField)).Distinct().Count());
        return entries;
    }

    private static Func<JsonNode, string> Id(string field) => entry => (string)entry[field]!;

    private static string Suffix() => Guid.NewGuid().ToString("N")[..10];
}
