using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace BudgetCluster.Bench;

/// <summary>
/// A gateway's push subscription (<c>GET /dp/budget_events</c>) read in the background: the
/// moment each budget's first <c>budget.exceeded</c> arrived.
/// </summary>
internal sealed class BudgetEvents : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _exceededAt = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _snapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reading = Task.CompletedTask;

    public static async Task<BudgetEvents> SubscribeAsync(Gateway gateway)
    {
        var events = new BudgetEvents();
        var stream = await gateway.SubscribeAsync(events._stop.Token);
        events._reading = events.ReadAsync(stream);
        await events._snapshot.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return events;
    }

    /// <summary>The Stopwatch timestamp at which the budget's exceeded event arrived (waits for it).</summary>
    public Task<long> ExceededAsync(string budgetId) => Arrival(budgetId).Task.WaitAsync(TimeSpan.FromSeconds(30));

    private TaskCompletionSource<long> Arrival(string budgetId) =>
        _exceededAt.GetOrAdd(budgetId, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reading;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
        }

        _stop.Dispose();
    }

    private async Task ReadAsync(Stream stream)
    {
        using var reader = new StreamReader(stream);
        string? type = null;
        while (await reader.ReadLineAsync(_stop.Token) is { } line)
        {
            if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                type = line[6..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                var arrived = Stopwatch.GetTimestamp();
                if (type == "snapshot")
                {
                    _snapshot.TrySetResult();
                }
                else if (type == "budget.exceeded")
                {
                    using var data = JsonDocument.Parse(line[5..]);
                    Arrival(data.RootElement.GetProperty("budget_id").GetString()!).TrySetResult(arrived);
                }
            }
            else if (line.Length == 0)
            {
                type = null;
            }
        }
    }
}
