namespace BudgetCluster.Grains.Notifications;

/// <summary>
/// When a webhook delivery that failed is tried again (API.md §10): 5 s, 30 s, 2 min, 10 min,
/// 30 min, 1 h, 2 h and 4 h after the attempts before, then every 8 h, until 3 days have passed
/// since the first attempt; then it has failed.
/// </summary>
public static class DeliverySchedule
{
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromDays(3);

    private static readonly TimeSpan[] Backoff =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4),
    ];

    private static readonly TimeSpan Then = TimeSpan.FromHours(8);

    /// <summary>
    /// The next attempt after attempt number <paramref name="attempt"/> (1 for the first) failed at
    /// <paramref name="failedAt"/>; null when none is left (<see cref="GiveUpAfter"/> from <paramref name="firstAttemptAt"/>).
    /// </summary>
    public static DateTimeOffset? Next(DateTimeOffset firstAttemptAt, int attempt, DateTimeOffset failedAt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var next = failedAt + (attempt <= Backoff.Length ? Backoff[attempt - 1] : Then);
        return next - firstAttemptAt <= GiveUpAfter ? next : null;
    }
}
