using System.Text.Json.Serialization.Metadata;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Admin;

/// <summary>The two reads and the delete that models and API keys share: a page of an environment's catalog, and a delete by id.</summary>
public static class CatalogLists
{
    /// <summary><c>GET /{list}?environment_id=&amp;limit=&amp;page=</c>: 400 for a bad parameter, 404 for an unknown environment.</summary>
    public static async Task<IResult> ListAsync<T, TView>(
        HttpRequest request,
        IGrainFactory grains,
        string list,
        Func<IEnvironmentGrain, string?, int, Task<DefinitionPage<T>>> read,
        Func<string, T, TView> view,
        JsonTypeInfo<ListView<TView>> json)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(view);
        if (QueryParameters.RequiredId(request.Query, "environment_id", out var environmentId) is { } badId)
        {
            return badId;
        }

        if (ListPaging.Read(request.Query, list, out var limit, out var after) is { } badPage)
        {
            return badPage;
        }

        if (await Lookups.EnvironmentMissingAsync(grains, environmentId) is { } missing)
        {
            return missing;
        }

        var page = await read(grains.GetGrain<IEnvironmentGrain>(environmentId), after, limit);
        var views = page.Entries.Select(entry => view(entry.Id, entry.Definition)).ToList();
        return TypedResults.Json(ListPaging.View(list, page, views), json);
    }

    /// <summary><c>DELETE</c> of one definition by id: 204, 404 naming it, or 400 for a bad id.</summary>
    public static async Task<IResult> DeleteAsync(string id, string field, string noun, Func<string, Task<bool>> delete)
    {
        ArgumentNullException.ThrowIfNull(delete);
        if (Ids.Check(id, field) is { } badId)
        {
            return badId;
        }

        return await delete(id) ? TypedResults.NoContent() : Problems.NotFound($"{noun} '{id}' not found");
    }
}
