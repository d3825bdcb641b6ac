using System.Globalization;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;
using Microsoft.Playwright;

namespace BudgetCluster.Silo.Tests.Console;

/// <summary>
/// The console in a real browser (Debian's headless Chromium, driven by Playwright): log in, open
/// every page at a laptop's and a phone's width, compare what is shown with the API's answers,
/// see the chart drawn, create and edit a budget through the form, no console error; the
/// screenshots it takes are the README's.
/// </summary>
public sealed class ConsoleBrowserTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    private static readonly string Screenshots = Path.Combine(RepositoryPrograms.Root, "docs", "screenshots");

    [Fact]
    public async Task EveryPage_AtBothWidths_ShowsTheApisNumbers_AndTheBudgetFormWorks()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        using var world = await silo.OnboardAsync();
        var key = $"k-{world.Suffix}";
        await world.Admin.PutOkAsync($"/api/v1/api-keys/{key}", $$"""{"environment_id":"{{world.EnvironmentId}}","team_id":"web"}""");
        var budgetId = (string)(await world.Admin.PostOkAsync("/api/v1/budgets", $$"""
            {"org_id":"{{world.OrgId}}","name":"frontend","scope":{"type":"api_key","ref":"{{key}}"},"limit_usd":"5.00","period":"month","mode":"hard_stop","timezone":"Europe/Berlin","thresholds":[0.5,0.8]}
            """))["id"]!;
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body([
            UsageEvents.Event("b1-" + world.Suffix, apiKeyId: key, cost: "1.25"),
            UsageEvents.Event("b2-" + world.Suffix, apiKeyId: key, cost: "2.50"),
        ]));
        var status = await world.Admin.GetOkAsync($"/api/v1/budgets/{budgetId}/status");
        var gateway = await world.GatewayDetailAsync();
        Directory.CreateDirectory(Screenshots);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium.Path,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu"],
        });
        foreach (var (width, height, name) in new[] { (1280, 900, "laptop"), (390, 844, "phone") })
        {
            await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, BaseURL = silo.AdminUri.ToString() });
            var page = await context.NewPageAsync();
            var errors = new List<string>();
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    errors.Add($"{message.Text} ({message.Location})");
                }
            };
            page.PageError += (_, error) => errors.Add(error);

            // Without a session the console sends to the login; the token is typed once.
            await page.GotoAsync("/");
            Assert.EndsWith("/login", page.Url, StringComparison.Ordinal);
            await page.FillAsync("#token", SiloFixture.Token);
            await page.ClickAsync("button[type=submit]");
            await page.WaitForURLAsync("**/console");

            await page.GotoAsync($"/console/orgs/{world.OrgId}/usage?range=month&by=api_key&zone=Europe/Berlin");
            Assert.Equal("Total spend: $3.75 USD", await page.InnerTextAsync("[data-field=total-spend]"));
            // The series is drawn: bars in the first series' colour, and the chart fits the page.
            Assert.True(await page.Locator("figure[data-chart=spend] svg rect[fill='#36C']").CountAsync() >= 1);
            Assert.True(await page.Locator("figure[data-chart=requests] svg rect[fill='#36C']").CountAsync() >= 1);
            var chart = (await page.Locator("figure[data-chart=spend] svg").BoundingBoxAsync())!;
            Assert.InRange(chart.Width, 200, width);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, $"usage-{name}.png"), FullPage = true });

            await page.GotoAsync($"/console/orgs/{world.OrgId}/budgets");
            var card = page.Locator($"[data-budget-id={budgetId}]");
            Assert.Equal(Money((string)status["spent_usd"]!), await card.Locator("[data-field=spent]").InnerTextAsync());
            Assert.Equal(Money((string)status["limit_usd"]!) + " per month", await card.Locator("[data-field=limit]").InnerTextAsync());
            await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, $"budgets-{name}.png"), FullPage = true });
            // Keyboard only: Tab reaches "New budget" and Enter opens the form.
            var reached = false;
            for (var tab = 0; tab < 30 && !reached; tab++)
            {
                await page.Keyboard.PressAsync("Tab");
                reached = await page.EvaluateAsync<string>("document.activeElement.textContent") == "New budget";
            }

            Assert.True(reached, "Tab never reached the 'New budget' link");
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForURLAsync($"**/console/orgs/{world.OrgId}/budgets/new");

            await page.GotoAsync($"/console/orgs/{world.OrgId}/gateways");
            Assert.Equal(((long)gateway["telemetry"]!["events_accepted"]!).ToString(CultureInfo.InvariantCulture), await page.InnerTextAsync("[data-field=accepted]"));
            await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, $"gateways-{name}.png"), FullPage = true });

            await page.GotoAsync($"/console/orgs/{world.OrgId}/statements");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, $"statements-{name}.png"), FullPage = true });

            // A budget through the form: first refused with the API's message at the field, then saved, then edited.
            await page.GotoAsync($"/console/orgs/{world.OrgId}/budgets/new");
            await page.FillAsync("#name", $"team-{name}");
            await page.SelectOptionAsync("#scope-type", "team");
            await page.FillAsync("#scope-ref", "web");
            await page.FillAsync("#limit", "0");
            await page.ClickAsync("button:has-text('Save')");
            Assert.Contains("'limit_usd' must be greater than 0", await page.InnerTextAsync("[data-error-for=limit_usd]"), StringComparison.Ordinal);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, $"budget-form-{name}.png"), FullPage = true });
            await page.FillAsync("#limit", "20");
            await page.ClickAsync("button:has-text('Save')");
            await page.WaitForURLAsync($"**/console/orgs/{world.OrgId}/budgets");
            await page.ClickAsync($"[aria-label='edit team-{name}']");
            await page.FillAsync("#limit", "25.50");
            await page.ClickAsync("button:has-text('Save')");
            await page.WaitForURLAsync($"**/console/orgs/{world.OrgId}/budgets");
            var saved = (await world.Admin.GetOkAsync($"/api/v1/budgets?org_id={world.OrgId}")).AsArray().Single(b => (string)b!["name"]! == $"team-{name}")!;
            Assert.Equal("25.50", (string)saved["limit_usd"]!);
            Assert.Equal("team", (string)saved["scope"]!["type"]!);
            Assert.Equal("month", (string)saved["period"]!);
            Assert.Equal("hard_stop", (string)saved["mode"]!);

            Assert.Empty(errors);
        }
    }

    private static string Money(string usd) => BudgetCluster.Silo.Console.Money.Format(usd);
}
