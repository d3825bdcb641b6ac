using System.Collections.Immutable;
using Orleans.Concurrency;

namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// An environment: its definition, the catalog of its models and API keys, and the gateways
/// known in it. Key: <c>environment_id</c>. Pushes every catalog change to the known gateways and
/// publishes it on the environment's catalog stream (<see cref="CatalogStreams"/>) for the data plane.
/// </summary>
[Alias("budgetcluster.environment")]
public interface IEnvironmentGrain : IGrainWithStringKey
{
    /// <summary>Creates or renames the environment; idempotent. Throws <see cref="DefinitionConflictException"/> on an org change.</summary>
    [Alias("put-environment")]
    Task PutEnvironmentAsync(EnvironmentDefinition definition);

    /// <summary>The environment, or null when it was never created.</summary>
    [Alias("get-environment")]
    Task<EnvironmentDefinition?> GetEnvironmentAsync();

    /// <summary>
    /// Deletes the environment and returns the org it belonged to (null when it does not exist).
    /// Throws <see cref="DefinitionConflictException"/> naming what remains while it has models,
    /// API keys or certificates neither revoked nor expired. The certificate records and the
    /// catalog version are kept: an environment created again under the same id still refuses
    /// the old revoked certificates, and its gateways still take its catalogs.
    /// </summary>
    [Alias("delete-environment")]
    Task<string?> DeleteEnvironmentAsync();

    /// <summary>The models of the catalog after <paramref name="after"/>, at most <paramref name="limit"/>, by id.</summary>
    [Alias("list-models")]
    Task<DefinitionPage<ModelDefinition>> ListModelsAsync(string? after, int limit);

    /// <summary>The API keys of the catalog after <paramref name="after"/>, at most <paramref name="limit"/>, by id.</summary>
    [Alias("list-api-keys")]
    Task<DefinitionPage<ApiKeyBinding>> ListApiKeysAsync(string? after, int limit);

    /// <summary>
    /// Adds or replaces a model in the catalog; idempotent. Throws <see cref="DefinitionConflictException"/>
    /// when the environment does not exist (it was deleted after the caller looked).
    /// </summary>
    [Alias("upsert-model")]
    Task UpsertModelAsync(string modelId, ModelDefinition model);

    /// <summary>Removes a model from the catalog (it moved to another environment or was deleted); idempotent.</summary>
    [Alias("remove-model")]
    Task RemoveModelAsync(string modelId);

    /// <summary>Adds or replaces an API key binding in the catalog; idempotent. Throws as <see cref="UpsertModelAsync"/>.</summary>
    [Alias("upsert-api-key")]
    Task UpsertApiKeyAsync(string apiKeyId, ApiKeyBinding binding);

    /// <summary>Removes an API key from the catalog (it moved to another environment or was deleted); idempotent.</summary>
    [Alias("remove-api-key")]
    Task RemoveApiKeyAsync(string apiKeyId);

    /// <summary>Replaces the organization's settings in the catalog; a version not newer than the current one is ignored.</summary>
    [Alias("update-org-settings")]
    Task UpdateOrgSettingsAsync(OrgSettings settings);

    /// <summary>
    /// Passes one change of the org's budget index on to every gateway of the environment; stores
    /// nothing (the org grain owns the index). A gateway that cannot be reached is logged: it
    /// fetches the index from the org when it next finds itself behind.
    /// </summary>
    [Alias("update-budget-index")]
    Task UpdateBudgetIndexAsync(BudgetIndexChange change);

    /// <summary>Records a gateway of this environment (certificate issued); idempotent, durable when it returns.</summary>
    [Alias("register-gateway")]
    Task RegisterGatewayAsync(string dpId);

    /// <summary>
    /// Same as <see cref="RegisterGatewayAsync"/>, sent by a gateway grain as it activates.
    /// One-way so that a gateway grain never waits on this grain while this grain may be pushing
    /// a catalog to it; registration is idempotent, so order does not matter.
    /// </summary>
    [OneWay]
    [Alias("announce-gateway")]
    Task AnnounceGatewayAsync(string dpId);

    /// <summary>Records a certificate issued for a gateway of this environment, and the gateway; idempotent, durable when it returns.</summary>
    [Alias("record-certificate")]
    Task RecordCertificateAsync(GatewayCertificate certificate);

    /// <summary>The certificates issued in this environment (those recorded since the cluster kept them), by serial.</summary>
    [Alias("list-certificates")]
    Task<ImmutableArray<GatewayCertificate>> ListCertificatesAsync();

    /// <summary>
    /// Revokes a certificate as of <paramref name="at"/> (a revoked one keeps its first time) and
    /// publishes the catalog, whose revoked serials the data plane refuses; null for an unknown serial.
    /// </summary>
    [Alias("revoke-certificate")]
    Task<GatewayCertificate?> RevokeCertificateAsync(string serial, DateTimeOffset at);

    /// <summary>The ids of the gateways known in this environment, sorted.</summary>
    [Alias("list-gateways")]
    Task<ImmutableArray<string>> ListGatewaysAsync();

    /// <summary>
    /// The current catalog. Interleaves with other calls: it only reads an immutable snapshot,
    /// and a gateway grain calls it while activating, possibly while this grain pushes to it.
    /// </summary>
    [AlwaysInterleave]
    [Alias("get-catalog")]
    Task<EnvironmentCatalog> GetCatalogAsync();
}
