namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>A model's definition and pricing. Key: <c>model_id</c>.</summary>
[Alias("budgetcluster.model")]
public interface IModelGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates or replaces the model, adds its price to the model's price timeline (see
    /// <c>PriceHistory</c> for the rules) and publishes it to its environment's catalog (and away
    /// from a previous environment). Idempotent; durable and visible to gateways when it returns.
    /// Returns the stored definition, timeline included.
    /// Throws <see cref="DefinitionConflictException"/> when the move would take it to an environment
    /// of another org, or the model has as many price versions as it may keep.
    /// </summary>
    [Alias("put-model-v2")]
    Task<ModelDefinition> PutModelAsync(ModelPut request);

    /// <summary>
    /// Deletes the model: out of its environment's catalog first (later events with its id are
    /// unpriced), then here. False when it does not exist; idempotent.
    /// </summary>
    [Alias("delete-model")]
    Task<bool> DeleteModelAsync();

    /// <summary>The model, or null when it was never created.</summary>
    [Alias("get-model")]
    Task<ModelDefinition?> GetModelAsync();
}
