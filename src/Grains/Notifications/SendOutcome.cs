namespace BudgetCluster.Grains.Notifications;

/// <summary>How one delivery attempt ended: delivered (a 2xx), or the status or error that says why not.</summary>
public sealed record SendOutcome(bool Delivered, int? StatusCode, string? Error);
