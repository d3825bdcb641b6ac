using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.Grains.Storage;
using BudgetCluster.Grains.Streams;
using Microsoft.Extensions.Logging;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// An environment, the catalog of its models and API keys, and its known gateways.
/// State (<see cref="EnvironmentState"/>) is written on every change before the call returns;
/// the immutable <see cref="EnvironmentCatalog"/> is rebuilt from it and pushed to every known
/// gateway grain, so gateways price with the new definitions as soon as the admin call returns,
/// and published on the environment's catalog stream (<see cref="CatalogStreams"/>), so every
/// data plane process answers <c>/dp/*</c> with it a few milliseconds later. Only a stored catalog
/// is pushed or published: a consumer never sees a change that a restart would take back.
/// </summary>
[GrainType("environment")]
internal sealed partial class EnvironmentGrain(
    [PersistentState("environment", GrainStorageNames.Default)] IPersistentState<EnvironmentState> state,
    TimeProvider time,
    ILogger<EnvironmentGrain> logger)
    : Grain, IEnvironmentGrain
{
    /// <summary>Built only from stored state: <see cref="GetCatalogAsync"/> interleaves with writes in progress.</summary>
    private EnvironmentCatalog _catalog = EnvironmentCatalog.Empty;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _catalog = BuildCatalog();
        return Task.CompletedTask;
    }

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

        if (current is null && state.State.DeletedFromOrg is { } former && former != definition.OrgId)
        {
            throw new DefinitionConflictException(
                $"environment id '{this.GetPrimaryKeyString()}' was org '{former}''s: its stored usage stays that org's, so the id cannot be created again in org '{definition.OrgId}'");
        }

        state.State.Definition = definition;
        await CommitCatalogChangeAsync();
    }

    public Task<EnvironmentDefinition?> GetEnvironmentAsync() => Task.FromResult(state.State.Definition);

    public async Task<string?> DeleteEnvironmentAsync()
    {
        if (state.State.Definition is not { } definition)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (Remaining.Describe(
            $"environment '{this.GetPrimaryKeyString()}'",
            ("model", "models", state.State.Models.Keys),
            ("API key", "API keys", state.State.ApiKeys.Keys),
            ("certificate neither revoked nor expired", "certificates neither revoked nor expired", state.State.Certificates.Values
                .Where(certificate => certificate.RevokedAt is null && certificate.ExpiresAt > now)
                .Select(certificate => certificate.Serial)
                .ToList())) is { } remaining)
        {
            throw new DefinitionConflictException(remaining);
        }

        state.State.Definition = null;
        state.State.Org = null;
        state.State.DeletedFromOrg = definition.OrgId;
        await CommitCatalogChangeAsync();
        return definition.OrgId;
    }

    public Task<DefinitionPage<ModelDefinition>> ListModelsAsync(string? after, int limit) =>
        Task.FromResult(DefinitionPaging.Of(
            state.State.Models.Select(pair => new DefinitionEntry<ModelDefinition>(pair.Key, pair.Value)), after, limit));

    public Task<DefinitionPage<ApiKeyBinding>> ListApiKeysAsync(string? after, int limit) =>
        Task.FromResult(DefinitionPaging.Of(
            state.State.ApiKeys.Select(pair => new DefinitionEntry<ApiKeyBinding>(pair.Key, pair.Value)), after, limit));

    public Task UpsertModelAsync(string modelId, ModelDefinition model)
    {
        ThrowWhenDeleted();
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
        ThrowWhenDeleted();
        if (state.State.ApiKeys.TryGetValue(apiKeyId, out var existing) && existing == binding)
        {
            return Task.CompletedTask;
        }

        state.State.ApiKeys[apiKeyId] = binding;
        return CommitCatalogChangeAsync();
    }

    public Task RemoveApiKeyAsync(string apiKeyId) =>
        state.State.ApiKeys.Remove(apiKeyId) ? CommitCatalogChangeAsync() : Task.CompletedTask;

    private void ThrowWhenDeleted()
    {
        if (state.State.Definition is null)
        {
            throw new DefinitionConflictException($"environment '{this.GetPrimaryKeyString()}' does not exist (it was deleted)");
        }
    }

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

    public Task UpdateBudgetIndexAsync(BudgetIndexChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var environmentId = this.GetPrimaryKeyString();
        return Task.WhenAll(state.State.Gateways.Select(async dpId =>
        {
            try
            {
                await GrainFactory.GetGrain<IGatewayGrain>(GatewayKey.Format(environmentId, dpId)).UpdateBudgetIndexAsync(change);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogIndexPushFailed(logger, ex, environmentId, dpId, change.Version);
            }
        }));
    }

    public async Task RegisterGatewayAsync(string dpId)
    {
        if (state.State.Gateways.Add(dpId))
        {
            await state.WriteOrResetAsync(this);
        }
    }

    public Task AnnounceGatewayAsync(string dpId) => RegisterGatewayAsync(dpId);

    public async Task RecordCertificateAsync(GatewayCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var gatewayAdded = state.State.Gateways.Add(certificate.DpId);
        if (state.State.Certificates.TryAdd(certificate.Serial, certificate) || gatewayAdded)
        {
            await state.WriteOrResetAsync(this);
        }
    }

    public Task<ImmutableArray<GatewayCertificate>> ListCertificatesAsync() =>
        Task.FromResult(state.State.Certificates.Values.OrderBy(certificate => certificate.Serial, StringComparer.Ordinal).ToImmutableArray());

    public async Task<GatewayCertificate?> RevokeCertificateAsync(string serial, DateTimeOffset at)
    {
        if (!state.State.Certificates.TryGetValue(serial, out var certificate))
        {
            return null;
        }

        if (certificate.RevokedAt is null)
        {
            state.State.Certificates[serial] = certificate = certificate with { RevokedAt = at };
            await CommitCatalogChangeAsync();
        }

        return certificate;
    }

    public Task<ImmutableArray<string>> ListGatewaysAsync() => Task.FromResult(state.State.Gateways.ToImmutableArray());

    public Task<EnvironmentCatalog> GetCatalogAsync() => Task.FromResult(_catalog);

    private async Task CommitCatalogChangeAsync()
    {
        state.State.CatalogVersion++;
        await state.WriteOrResetAsync(this);
        _catalog = BuildCatalog();

        // The change is stored; a gateway that misses this push still prices right: it fetches the
        // catalog when it next activates, and a data plane process refreshes its copy in the
        // background. So a failed push or publish is logged, not returned to the admin.
        var environmentId = this.GetPrimaryKeyString();
        var catalog = _catalog;
        await Task.WhenAll(state.State.Gateways.Select(async dpId =>
        {
            try
            {
                await GrainFactory.GetGrain<IGatewayGrain>(GatewayKey.Format(environmentId, dpId)).UpdateCatalogAsync(catalog);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogPushFailed(logger, ex, environmentId, dpId, catalog.Version);
            }
        }).Append(PublishAsync(environmentId, catalog)));
    }

    private async Task PublishAsync(string environmentId, EnvironmentCatalog catalog)
    {
        try
        {
            await this.GetStreamProvider(CatalogStreams.Provider)
                .GetStream<EnvironmentCatalog>(StreamId.Create(CatalogStreams.Namespace, environmentId))
                .PublishAsync(catalog);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogPublishFailed(logger, ex, environmentId, catalog.Version);
        }
    }

    [LoggerMessage(5001, LogLevel.Warning, "Environment {EnvironmentId} could not push catalog {Version} to gateway {DpId}")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, string environmentId, string dpId, long version);

    [LoggerMessage(5003, LogLevel.Warning, "Environment {EnvironmentId} could not push budget index {Version} to gateway {DpId}; it fetches the index when it finds itself behind")]
    private static partial void LogIndexPushFailed(ILogger logger, Exception exception, string environmentId, string dpId, long version);

    [LoggerMessage(5002, LogLevel.Warning, "Environment {EnvironmentId} could not publish catalog {Version} to the data plane")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string environmentId, long version);

    private EnvironmentCatalog BuildCatalog()
    {
        var now = time.GetUtcNow();
        return new()
        {
            Version = state.State.CatalogVersion,
            OrgId = state.State.Definition?.OrgId,
            Models = state.State.Models.ToImmutableDictionary(StringComparer.Ordinal),
            ApiKeys = state.State.ApiKeys.ToImmutableDictionary(StringComparer.Ordinal),
            Org = state.State.Org,
            // An expired certificate is refused anyway: only the ones still valid need listing.
            RevokedCertificates = state.State.Certificates.Values
                .Where(certificate => certificate.RevokedAt is not null && certificate.ExpiresAt > now)
                .ToImmutableDictionary(certificate => certificate.Serial, certificate => certificate.RevokedAt!.Value, StringComparer.Ordinal),
        };
    }
}
