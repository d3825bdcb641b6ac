using System.Net;
using System.Text.Json.Nodes;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>Polls a process's <c>/readyz</c>.</summary>
public static class Readyz
{
    /// <summary>The first answer with <paramref name="wanted"/>, or the last one when <paramref name="within"/> has passed.</summary>
    public static async Task<(HttpStatusCode Status, JsonNode Body)> UntilAsync(AdminClient client, HttpStatusCode wanted, TimeSpan within)
    {
        ArgumentNullException.ThrowIfNull(client);
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            using var response = await client.GetAsync("/readyz");
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if (response.StatusCode == wanted || DateTime.UtcNow > deadline)
            {
                return (response.StatusCode, body);
            }

            await Task.Delay(200);
        }
    }
}
