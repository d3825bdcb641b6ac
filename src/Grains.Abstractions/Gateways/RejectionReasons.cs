namespace BudgetCluster.Grains.Abstractions.Gateways;

/// <summary>
/// The fixed vocabulary of why a telemetry event was rejected, as counted per gateway
/// (<c>telemetry.events_rejected_by_reason</c>) and returned with each rejected index. The message of
/// a rejection says precisely what is wrong; its reason is one of these codes, so an operator can
/// tell a gateway that sends bad data from a clock that drifts or a cluster that cannot store.
/// </summary>
public static class RejectionReasons
{
    /// <summary>The element of <c>events</c> is not a JSON object.</summary>
    public const string NotAnObject = "not_an_object";

    /// <summary>A required field is absent (or null).</summary>
    public const string MissingField = "missing_field";

    /// <summary>A field has the wrong type, is out of its range, too long or malformed.</summary>
    public const string InvalidField = "invalid_field";

    /// <summary><c>occurred_at</c> is further in the future than <c>DataPlane:MaxClockSkew</c> allows.</summary>
    public const string FutureOccurredAt = "future_occurred_at";

    /// <summary><c>occurred_at</c> is older than <c>DataPlane:MaxEventAge</c>.</summary>
    public const string TooOld = "too_old";

    /// <summary>Valid in form, but the ledger could not hold the row (a value beyond what the store keeps).</summary>
    public const string Unstorable = "unstorable";

    /// <summary>Valid in form, but pricing it or routing it to its budgets failed.</summary>
    public const string Unpriceable = "unpriceable";

    /// <summary>
    /// Rejected by an ingress that did not say why (one older than the reason codes, during a
    /// rolling upgrade); keeps the per-reason counts summing to <c>events_rejected</c>.
    /// </summary>
    public const string Unclassified = "unclassified";

    public static IReadOnlyList<string> All { get; } =
        [NotAnObject, MissingField, InvalidField, FutureOccurredAt, TooOld, Unstorable, Unpriceable, Unclassified];
}
