using BudgetCluster.Grains.Notifications;

namespace BudgetCluster.Grains.Tests.Notifications;

public sealed class DeliveryScheduleTests
{
    private static readonly DateTimeOffset First = DateTimeOffset.UnixEpoch.AddDays(20_000);

    [Fact]
    public void Next_FailedAttempts_FollowTheContractsScheduleThenEveryEightHoursUntilThreeDays()
    {
        var delays = new List<TimeSpan>();
        var at = First;
        for (var attempt = 1; DeliverySchedule.Next(First, attempt, at) is { } next; attempt++)
        {
            delays.Add(next - at);
            at = next;
        }

        Assert.Equal(
            [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
             TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4)],
            delays.Take(8));
        Assert.All(delays.Skip(8), delay => Assert.Equal(TimeSpan.FromHours(8), delay));
        Assert.True(at - First <= TimeSpan.FromDays(3));
        Assert.True(at + TimeSpan.FromHours(8) - First > TimeSpan.FromDays(3));
        // 7 h 42 min 35 s of backoff, then eight 8-hour waits fit in the 3 days.
        Assert.Equal(8 + 8, delays.Count);
    }

    [Fact]
    public void Next_AttemptThatFailedLate_CountsFromWhenItFailed()
    {
        var failedAt = First.AddSeconds(12);

        Assert.Equal(failedAt.AddSeconds(5), DeliverySchedule.Next(First, 1, failedAt));
    }
}
