using System.Net;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Notifications;

/// <summary>API.md §10 at the edges, on a silo with the defaults: https only, no private networks.</summary>
public sealed class WebhookApiTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"url":"http://hooks.example.com/x","events":["budget.exceeded"]}""", "'url' must be https: plain http is refused unless Webhooks:AllowHttp is set" },
        { """{"url":"https://127.0.0.1/x","events":["budget.exceeded"]}""", "'url' points to '127.0.0.1', a loopback, private or link-local address" },
        { """{"url":"https://10.0.0.1/x","events":["budget.exceeded"]}""", "'url' points to '10.0.0.1'" },
        { """{"url":"https://169.254.169.254/latest/meta-data","events":["budget.exceeded"]}""", "'url' points to '169.254.169.254'" },
        { """{"url":"https://[::1]/x","events":["budget.exceeded"]}""", "'url' points to '::1'" },
        { """{"url":"https://localhost./x","events":["budget.exceeded"]}""", "'url' points to 'localhost'" },
        { """{"url":"https://[::ffff:10.0.0.1]/x","events":["budget.exceeded"]}""", "a loopback, private or link-local address" },
        { """{"url":"https://[fd00::1]/x","events":["budget.exceeded"]}""", "'url' points to 'fd00::1'" },
        { """{"url":"https://100.64.0.1/x","events":["budget.exceeded"]}""", "'url' points to '100.64.0.1'" },
        { """{"url":"https://user:secret@hooks.example.com/x","events":["budget.exceeded"]}""", "'url' must not carry credentials" },
        { """{"url":"ftp://hooks.example.com/x","events":["budget.exceeded"]}""", "'url' must be an absolute https URL" },
        { """{"url":"/relative","events":["budget.exceeded"]}""", "'url' must be an absolute https URL" },
        { """{"events":["budget.exceeded"]}""", "missing required field 'url'" },
        { """{"url":"https://hooks.example.com/x"}""", "missing required field 'events'" },
        { """{"url":"https://hooks.example.com/x","events":[]}""", "missing required field 'events'" },
        { """{"url":"https://hooks.example.com/x","events":["budget.spent"]}""", "'events' has 'budget.spent'" },
        { """{"url":"https://hooks.example.com/x","events":["webhook.test"]}""", "'events' has 'webhook.test'" },
        { """{"url":"https://hooks.example.com/x","events":[1]}""", "events" },
        { """{"url":42,"events":["budget.exceeded"]}""", "url" },
        { """{"url":"https://hooks.example.com/x","events":["budget.exceeded"],"enabled":"yes"}""", "enabled" },
        { """{"url":"https://hooks.example.com/x",""", "malformed JSON" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Put_BadBody_Is400NamingTheRule_AndAnEndpointBesideItIsUnchanged(string body, string message)
    {
        using var world = await silo.OnboardAsync();
        await world.Admin.PutOkAsync($"/api/v1/orgs/{world.OrgId}/webhooks/good", """{"url":"https://hooks.example.com/good","events":["budget.exceeded"]}""");

        using var response = await world.Admin.PutAsync($"/api/v1/orgs/{world.OrgId}/webhooks/bad", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var list = (await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/webhooks"))["data"]!.AsArray();
        Assert.Equal("good", (string)Assert.Single(list)!["webhook_id"]!);
    }

    [Fact]
    public async Task Endpoint_CreatedReplacedListedDeleted_TheSecretShownOnlyWhenCreated()
    {
        using var world = await silo.OnboardAsync();
        var path = $"/api/v1/orgs/{world.OrgId}/webhooks/ops";

        using var created = await world.Admin.PutAsync(path, """{"url":"https://hooks.example.com/a","events":["budget.exceeded","budget.cleared","budget.exceeded"]}""");
        var replaced = await world.Admin.PutOkAsync(path, """{"url":"https://hooks.example.com/b","events":["budget.forecast"],"enabled":false}""");
        var read = await world.Admin.GetOkAsync(path);
        using var deleted = await world.Admin.DeleteAsync(path);
        using var again = await world.Admin.GetAsync(path);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await Http.ReadOkAsync(created);
        Assert.StartsWith("whsec_", (string)body["secret"]!, StringComparison.Ordinal);
        Assert.Equal(["budget.cleared", "budget.exceeded"], body["events"]!.AsArray().Select(e => (string)e!));
        Assert.True((bool)body["enabled"]!);
        Assert.Null(replaced["secret"]);
        Assert.Equal(("https://hooks.example.com/b", false), ((string)read["url"]!, (bool)read["enabled"]!));
        Assert.Null(read["secret"]);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task UnknownOrgOrEndpoint_Is404_BadId400()
    {
        using var world = await silo.OnboardAsync();
        var hooks = $"/api/v1/orgs/{world.OrgId}/webhooks";

        using var org = await world.Admin.PutAsync("/api/v1/orgs/org-never-seen/webhooks/x", """{"url":"https://hooks.example.com/a","events":["budget.exceeded"]}""");
        using var get = await world.Admin.GetAsync($"{hooks}/none");
        using var delete = await world.Admin.DeleteAsync($"{hooks}/none");
        using var rotate = await world.Admin.PostAsync($"{hooks}/none/rotate-secret", "");
        using var test = await world.Admin.PostAsync($"{hooks}/none/test", "");
        using var deliveries = await world.Admin.GetAsync($"{hooks}/none/deliveries");
        using var badId = await world.Admin.PutAsync($"{hooks}/-bad", """{"url":"https://hooks.example.com/a","events":["budget.exceeded"]}""");

        Assert.Equal(HttpStatusCode.NotFound, org.StatusCode);
        Assert.Contains("org 'org-never-seen' not found", await org.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var response in new[] { get, delete, rotate, test, deliveries })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Contains($"webhook 'none' of org '{world.OrgId}' not found", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        Assert.Contains("webhook_id", await badId.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteOrg_WithAWebhook_Is409NamingIt()
    {
        using var admin = silo.Admin();
        var org = $"org-{Guid.NewGuid():N}"[..20];
        await admin.PutOkAsync($"/api/v1/orgs/{org}", """{"name":"Hooked"}""");
        await admin.PutOkAsync($"/api/v1/orgs/{org}/webhooks/ops", """{"url":"https://hooks.example.com/a","events":["budget.exceeded"]}""");

        using var refused = await admin.DeleteAsync($"/api/v1/orgs/{org}");
        using var removed = await admin.DeleteAsync($"/api/v1/orgs/{org}/webhooks/ops");
        using var deleted = await admin.DeleteAsync($"/api/v1/orgs/{org}");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("1 webhook (ops)", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }
}

/// <summary>A silo that takes http endpoints but no private addresses.</summary>
public sealed class WebhookHttpFixture : SiloFixture
{
    protected override IEnumerable<string> ExtraArguments => ["--Webhooks:AllowHttp=true"];
}

/// <summary>The address rule at send time: a name that resolves to a private address is never connected to.</summary>
public sealed class WebhookRebindingTests(WebhookHttpFixture silo) : IClassFixture<WebhookHttpFixture>
{
    [Fact]
    public async Task NameResolvingToAPrivateAddressAtSendTime_IsNotDelivered_AndTheAttemptSaysWhy()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var world = await silo.OnboardAsync();
        // This machine's own name: accepted when the endpoint is set (it is a name), resolved at send
        // time to this machine's loopback or private address, where the receiver listens.
        var host = Dns.GetHostName();
        var addresses = await Dns.GetHostAddressesAsync(host);
        Assert.All(addresses, address => Assert.True(
            Grains.Notifications.NetworkGuard.IsPrivate(address), $"{host} resolves to {address}: this test needs it private"));
        var url = receiver.Url.Replace("127.0.0.1", host, StringComparison.Ordinal);
        await world.Admin.PutOkAsync($"/api/v1/orgs/{world.OrgId}/webhooks/hook", $$"""{"url":"{{url}}","events":["budget.exceeded"]}""");

        await world.Admin.PostOkAsync($"/api/v1/orgs/{world.OrgId}/webhooks/hook/test", "");
        var attempt = await FirstAttemptAsync(world);

        Assert.Null(attempt["status_code"]);
        Assert.Contains("a private, loopback or link-local address (Webhooks:AllowPrivateNetworks is off)", (string)attempt["error"]!, StringComparison.Ordinal);
        Assert.NotNull(attempt["next_attempt_at"]);
        Assert.False(await receiver.AnyWithinAsync(TimeSpan.FromMilliseconds(300)));
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> FirstAttemptAsync(TestWorld world)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var entries = (await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/webhooks/hook/deliveries"))["data"]!.AsArray();
            if (entries.Count > 0)
            {
                return entries[0]!;
            }

            Assert.True(DateTime.UtcNow < deadline, "no attempt was made");
            await Task.Delay(100);
        }
    }
}
