using System.Diagnostics;
using System.Reflection;
using BudgetCluster.Grains.Streams;
using Orleans.Streams;

namespace BudgetCluster.Grains.Tests.Streams;

public sealed class BoundedPublishTests
{
    [Fact]
    public async Task APublishThatNeverCompletes_FailsAfterTheBound_NotAfterOrleansResponseTimeout()
    {
        var stream = StreamThatNeverAnswers.Create();
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<TimeoutException>(() => stream.PublishAsync(1));

        Assert.InRange(clock.Elapsed, BoundedPublish.Timeout - TimeSpan.FromMilliseconds(50), BoundedPublish.Timeout + TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task APublishThatFails_FailsWithItsOwnError()
    {
        var stream = StreamThatNeverAnswers.Create(Task.FromException(new InvalidOperationException("queue gone")));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => stream.PublishAsync(1));

        Assert.Equal("queue gone", error.Message);
    }

    /// <summary>An Orleans stream whose every publish returns <see cref="_answer"/> (by default a task that never completes).</summary>
    public class StreamThatNeverAnswers : DispatchProxy
    {
        private Task _answer = new TaskCompletionSource().Task;

        public static IAsyncStream<int> Create(Task? answer = null)
        {
            var stream = DispatchProxy.Create<IAsyncStream<int>, StreamThatNeverAnswers>();
            if (answer is not null)
            {
                ((StreamThatNeverAnswers)(object)stream)._answer = answer;
            }

            return stream;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == nameof(IAsyncObserver<int>.OnNextAsync) ? _answer : throw new NotSupportedException(targetMethod?.Name);
    }
}
