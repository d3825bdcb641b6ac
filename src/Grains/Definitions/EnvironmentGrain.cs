using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.Grains.Storage;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// An environment, the catalog of its models and API keys, and its known gateways.
/// State (<see cref="EnvironmentState"/>) is written on every change before the call returns;
/// the immutable <see cref="EnvironmentCatalog"/> is rebuilt from it and pushed to every known
/// gateway grain, so gateways price with the new definitions as soon as the admin call returns.
/// </summary>
[GrainType("environment")]
internal sealed class EnvironmentGrain(
    [PersistentState("environment", GrainStorageNames.Default)] IPersistentState<EnvironmentState> state)
    : Grain, IEnvironmentGrain
{
    private EnvironmentCatalog? _catalog;

    private EnvironmentCatalog Catalog => _catalog ??= BuildCatalog();

    public async Task PutEnvironmentAsync(EnvironmentDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var current = state.State.Definition;
        if (current == definition)
        {
            return;
        }

        if (current is not null && current.OrgId != definition.OrgId)
        {
            throw new DefinitionConflictException(
                $"environment '{this.GetPrimaryKeyString()}' belongs to org '{current.OrgId}' and cannot move to org '{definition.OrgId}'");
        }

        state.State.Definition = definition;
        await CommitCatalogChangeAsync();
    }

    public Task<EnvironmentDefinition?> GetEnvironmentAsync() => Task.FromResult(state.State.Definition);

    public Task UpsertModelAsync(string modelId, ModelDefinition model)
    {
        if (state.State.Models.TryGetValue(modelId, out var existing) && existing == model)
        {
            return Task.CompletedTask;
        }

        state.State.Models[modelId] = model;
        return CommitCatalogChangeAsync();
    }

    public Task RemoveModelAsync(string modelId) =>
        state.State.Models.Remove(modelId) ? CommitCatalogChangeAsync() : Task.CompletedTask;

    public Task UpsertApiKeyAsync(string apiKeyId, ApiKeyBinding binding)
    {
        if (state.State.ApiKeys.TryGetValue(apiKeyId, out var existing) && existing == binding)
        {
            return Task.CompletedTask;
        }

        state.State.ApiKeys[apiKeyId] = binding;
        return CommitCatalogChangeAsync();
    }

    public Task RemoveApiKeyAsync(string apiKeyId) =>
        state.State.ApiKeys.Remove(apiKeyId) ? CommitCatalogChangeAsync() : Task.CompletedTask;

    public Task UpdateOrgSettingsAsync(OrgSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (state.State.Org is { } current && current.Version >= settings.Version)
        {
            return Task.CompletedTask;
        }

        state.State.Org = settings;
        return CommitCatalogChangeAsync();
    }

    public async Task RegisterGatewayAsync(string dpId)
    {
        if (state.State.Gateways.Add(dpId))
        {
            await state.WriteStateAsync();
        }
    }

    public Task AnnounceGatewayAsync(string dpId) => RegisterGatewayAsync(dpId);

    public Task<ImmutableArray<string>> ListGatewaysAsync() => Task.FromResult(state.State.Gateways.ToImmutableArray());

    public Task<EnvironmentCatalog> GetCatalogAsync() => Task.FromResult(Catalog);

    private async Task CommitCatalogChangeAsync()
    {
        state.State.CatalogVersion++;
        await state.WriteStateAsync();
        _catalog = BuildCatalog();

        var environmentId = this.GetPrimaryKeyString();
        var catalog = _catalog;
        await Task.WhenAll(state.State.Gateways.Select(dpId =>
            GrainFactory.GetGrain<IGatewayGrain>(GatewayKey.Format(environmentId, dpId)).UpdateCatalogAsync(catalog)));
    }

    private EnvironmentCatalog BuildCatalog() => new()
    {
        Version = state.State.CatalogVersion,
        OrgId = state.State.Definition?.OrgId,
        Models = state.State.Models.ToImmutableDictionary(StringComparer.Ordinal),
        ApiKeys = state.State.ApiKeys.ToImmutableDictionary(StringComparer.Ordinal),
        Org = state.State.Org,
    };
}
