using BudgetCluster.Silo.Admin.Statements;
using BudgetCluster.Silo.Admin.Usage;

namespace BudgetCluster.Silo.Console;

/// <summary>The console on the admin listener: <c>/</c> sends to it, its pages, and the usage CSV its pages link to.</summary>
public static class ConsoleEndpoints
{
    public static WebApplication MapConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", () => Results.Redirect("/console")).ExcludeFromDescription();
        // The usage API's CSV, for the console's session: the API itself takes only the bearer token.
        app.MapGet("/console/orgs/{org_id}/usage.csv", UsageApi.CsvAsync).ExcludeFromDescription();
        // A statement's JSON as the API serves it, byte for byte.
        app.MapGet("/console/orgs/{org_id}/statements/{period}.json", StatementsApi.GetAsync).ExcludeFromDescription();
        app.MapRazorComponents<ConsoleApp>();
        return app;
    }
}
