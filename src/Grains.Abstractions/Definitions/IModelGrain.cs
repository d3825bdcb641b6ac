namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>A model's definition and pricing. Key: <c>model_id</c>.</summary>
[Alias("budgetcluster.model")]
public interface IModelGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates or replaces the model and publishes it to its environment's catalog (and away from
    /// a previous environment). Idempotent; durable and visible to gateways when it returns.
    /// </summary>
    [Alias("put-model")]
    Task PutModelAsync(ModelDefinition definition);

    /// <summary>The model, or null when it was never created.</summary>
    [Alias("get-model")]
    Task<ModelDefinition?> GetModelAsync();
}
