namespace BudgetCluster.Grains.Abstractions.Gateways;

/// <summary>An event of a batch that the gateway grain could not take, and why; the rest of the batch is unaffected.</summary>
/// <param name="Position">Position of the event in <see cref="TelemetryBatch.Events"/>.</param>
/// <param name="Message">What is wrong with it, for the gateway's operator.</param>
/// <param name="Reason">Its code in <see cref="RejectionReasons"/>.</param>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.event-rejection")]
public sealed record EventRejection(
    [property: Id(0)] int Position,
    [property: Id(1)] string Message,
    [property: Id(2)] string Reason);
