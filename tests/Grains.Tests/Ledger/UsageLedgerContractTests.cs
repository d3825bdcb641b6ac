using System.Collections.Immutable;
using System.Globalization;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Usage;
using BudgetCluster.Grains.Storage;
using BudgetCluster.TestSupport;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace BudgetCluster.Grains.Tests.Ledger;

/// <summary>What every usage ledger store promises; run against each store by a subclass.</summary>
public abstract class UsageLedgerContract : IAsyncLifetime
{
    /// <summary>A ledger on a fresh, migrated store; a second call opens the same store again.</summary>
    protected abstract GroupCommitLedger OpenLedger();

    public abstract Task InitializeAsync();

    /// <summary>Takes the store's write lock from another connection, as a migration would; the writer waits until it is disposed.</summary>
    protected abstract Task<IAsyncDisposable> HoldWriteLockAsync();

    public abstract Task DisposeAsync();

    [Fact]
    public async Task AppendAsync_SameIdentityTwice_StoresItOnceAndReportsTheDuplicate()
    {
        await using var ledger = OpenLedger();

        var first = await ledger.AppendAsync([Entry("env", "dp", "r-1", 0, 1), Entry("env", "dp", "r-1", 1, 2)]);
        var second = await ledger.AppendAsync([Entry("env", "dp", "r-1", 1, 3), Entry("env", "dp", "r-2", 0, 4)]);

        Assert.Equal([true, true], first);
        Assert.Equal([false, true], second);
        Assert.Equal(3, (await ledger.ReadGatewayAsync("env", "dp", 0)).Count);
    }

    [Fact]
    public async Task AppendAsync_ResentWithAnotherOccurredAt_IsStillADuplicate()
    {
        await using var ledger = OpenLedger();
        var first = Entry("env", "dp", "r-1", 0, 1);

        await ledger.AppendAsync([first]);
        var again = await ledger.AppendAsync([first with { Sequence = 2, OccurredAt = first.OccurredAt.AddSeconds(1) }]);

        Assert.Equal([false], again);
        Assert.Single(await ledger.ReadGatewayAsync("env", "dp", 0));
    }

    [Fact]
    public async Task AppendAsync_SequenceAlreadyUsedByTheGateway_FailsInsteadOfHidingARow()
    {
        await using var ledger = OpenLedger();
        await ledger.AppendAsync([Entry("env", "dp", "r-1", 0, 7)]);

        await Assert.ThrowsAsync<BudgetCluster.Grains.Abstractions.Gateways.LedgerUnavailableException>(
            () => ledger.AppendAsync([Entry("env", "dp", "r-2", 0, 7)]));
    }

    [Fact]
    public async Task AppendAsync_RefusedRowInAGroup_FailsOnlyItsAppendAndTheOtherGatewaysCommits()
    {
        await using var ledger = OpenLedger();
        await ledger.AppendAsync([Entry("env", "dp-bad", "r-0", 0, 7)]);
        var good = Entry("env", "dp-good", "g-1", 0, 1) with
        {
            Attributions = [new BudgetAttribution("b-1", DateTimeOffset.FromUnixTimeMilliseconds(1_794_000_000_000))],
        };

        // The second row reuses the gateway's sequence 7: both stores refuse it by a unique index.
        var (refused, committed) = await AppendInOneGroupAsync(
            ledger, [Entry("env", "dp-bad", "r-1", 0, 8), Entry("env", "dp-bad", "r-2", 0, 7)], [good, Entry("env", "dp-good", "g-2", 0, 2)]);

        await Assert.ThrowsAsync<BudgetCluster.Grains.Abstractions.Gateways.LedgerUnavailableException>(() => refused);
        var stored = await committed;
        Assert.Equal([true, true], stored);
        await using var reopened = OpenLedger();
        Assert.Equal(["g-1", "g-2"], (await reopened.ReadGatewayAsync("env", "dp-good", 0)).Select(r => r.RequestId));
        Assert.Equal(0.01m, await reopened.SumBudgetPeriodAsync("b-1", good.Attributions[0].PeriodStart));
        // The refused append's first row went back with it.
        Assert.Equal(["r-0"], (await reopened.ReadGatewayAsync("env", "dp-bad", 0)).Select(r => r.RequestId));
    }

    /// <summary>
    /// Queues two appends while the writer is held inside the commit of a third, so that they are
    /// the next group together (the writer takes every queued append into one group).
    /// </summary>
    protected async Task<(Task<bool[]> First, Task<bool[]> Second)> AppendInOneGroupAsync(
        GroupCommitLedger ledger, IReadOnlyList<LedgerEntry> first, IReadOnlyList<LedgerEntry> second)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        Task<bool[]> blocker, one, two;
        await using (await HoldWriteLockAsync())
        {
            blocker = ledger.AppendAsync([Entry("env", "dp-blocker", $"b-{Guid.NewGuid():N}", 0, 1)]);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (ledger.QueuedAppends > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(1);
            }

            Assert.Equal(0, ledger.QueuedAppends);
            one = ledger.AppendAsync(first);
            two = ledger.AppendAsync(second);
            Assert.Equal(2, ledger.QueuedAppends);
        }

        var blocked = await blocker;
        Assert.Equal([true], blocked);
        return (one, two);
    }

    [Fact]
    public async Task AppendAsync_SameRequestIdInAnotherEnvironment_IsADifferentEvent()
    {
        await using var ledger = OpenLedger();

        await ledger.AppendAsync([Entry("env-a", "dp", "r-1", 0, 1)]);
        var other = await ledger.AppendAsync([Entry("env-b", "dp", "r-1", 0, 1)]);

        Assert.Equal([true], other);
    }

    [Fact]
    public async Task AppendAsync_ConcurrentAppenders_AllCommitAndReadBackExactly()
    {
        await using var ledger = OpenLedger();
        const int Gateways = 16;
        const int BatchesPerGateway = 20;
        const int EventsPerBatch = 25;

        await Task.WhenAll(Enumerable.Range(0, Gateways).Select(async g =>
        {
            for (var b = 0; b < BatchesPerGateway; b++)
            {
                var batch = Enumerable.Range(0, EventsPerBatch)
                    .Select(e => Entry("env", $"dp-{g}", $"r-{g}-{b}-{e}", 0, (b * EventsPerBatch) + e + 1, cost: 0.000001m))
                    .ToList();
                var inserted = await ledger.AppendAsync(batch);
                Assert.All(inserted, Assert.True);
            }
        }));

        for (var g = 0; g < Gateways; g++)
        {
            var rows = await ledger.ReadGatewayAsync("env", $"dp-{g}", 0);
            Assert.Equal(BatchesPerGateway * EventsPerBatch, rows.Count);
            Assert.Equal(rows.Select(r => r.Sequence).Order(), rows.Select(r => r.Sequence));
            Assert.Equal(0.0005m, rows.Sum(r => r.CostUsd));
        }
    }

    [Fact]
    public async Task ReadGatewayAsync_AfterAWatermark_ReturnsOnlyLaterRowsOfThatGateway()
    {
        await using var ledger = OpenLedger();
        await ledger.AppendAsync([Entry("env", "dp", "a", 0, 1), Entry("env", "dp", "b", 0, 2), Entry("env", "dp", "c", 0, 5)]);
        await ledger.AppendAsync([Entry("env", "other", "d", 0, 3)]);

        var rows = await ledger.ReadGatewayAsync("env", "dp", 1);

        Assert.Equal(["b", "c"], rows.Select(r => r.RequestId));
    }

    [Fact]
    public async Task AppendAsync_RoundTripsEveryColumnExactly()
    {
        await using var ledger = OpenLedger();
        var entry = Entry("env", "dp", "r", 3, 7, cost: 0.0048075m) with
        {
            CachedPromptTokens = 1536,
            CacheCreationTokens = 11,
            CacheReadTokens = 12,
            ReasoningTokens = 13,
            CacheSavingsUsd = 0.00078m,
            Unpriced = true,
            CacheHit = true,
            GuardrailBlocked = true,
            UpstreamTtftMs = 301,
            DownstreamLatencyMs = 2411,
            RequestedModel = "gpt-4o",
            AttemptKind = "fallback",
            ErrorClass = "billing_error",
            CacheStatus = "hit",
            ProviderKeyId = "pk-1",
            TeamId = "t-1",
            MemberId = "u-1",
            KeyBound = true,
            PriceVersion = 4,
        };

        await ledger.AppendAsync([entry]);
        var read = Assert.Single(await ledger.ReadGatewayAsync("env", "dp", 0));

        Assert.Equal(entry, read);
        Assert.True(read.Position > CommitPosition.Start);
    }

    [Fact]
    public async Task AppendAsync_OptionalFieldsAbsent_ReadBackAbsent()
    {
        await using var ledger = OpenLedger();
        var entry = Entry("env", "dp", "r", 0, 1);

        await ledger.AppendAsync([entry]);
        var read = Assert.Single(await ledger.ReadGatewayAsync("env", "dp", 0));

        Assert.Equal(entry, read);
        Assert.Null(read.UpstreamTtftMs);
        Assert.Null(read.TeamId);
        Assert.Null(read.PriceVersion);
        Assert.False(read.KeyBound);
    }

    [Fact]
    public async Task AppendAsync_AfterRestart_StillDeduplicatesAgainstTheFile()
    {
        await using (var ledger = OpenLedger())
        {
            await ledger.AppendAsync([Entry("env", "dp", "r", 0, 1)]);
        }

        await using var reopened = OpenLedger();
        var again = await reopened.AppendAsync([Entry("env", "dp", "r", 0, 2)]);
        Assert.Equal([false], again);
    }

    [Fact]
    public async Task ReadRollupsAsync_RandomTraffic_SumsPerBucketEqualTheEntries()
    {
        await using var ledger = OpenLedger();
        var entries = RandomTraffic(seed: 11, count: 900);
        await AppendInBatchesAsync(ledger, entries, seed: 11);
        // Bucket boundaries off the hour, around whole hours, and one on the hour; traffic runs past both ends.
        ImmutableArray<DateTimeOffset> boundaries =
        [
            BaseHour.AddMinutes(7), BaseHour.AddMinutes(20), BaseHour.AddMinutes(190), BaseHour.AddMinutes(191),
            BaseHour.AddHours(4), BaseHour.AddMinutes(247),
        ];
        // Every shape: the environment total, one dimension's projection rows, full rows.
        ImmutableArray<UsageDimension>[] shapes =
            [[], [UsageDimension.Model], [UsageDimension.Environment, UsageDimension.ApiKey], [UsageDimension.ApiKey, UsageDimension.Model]];
        foreach (var groupBy in shapes)
        {
            var query = new RollupQuery { EnvironmentIds = ["env-a", "env-b"], Boundaries = boundaries, GroupBy = groupBy };

            var sums = await ReadBothWaysAsync(ledger, query);

            AssertSameBuckets(Shaped(Expected(entries, boundaries, e => e.EnvironmentId is "env-a" or "env-b"), query), sums);
        }
    }

    [Fact]
    public async Task ReadRollupsAsync_FiltersAndKeyBoundOnly_MatchTheEntriesThatHaveThem()
    {
        await using var ledger = OpenLedger();
        var entries = RandomTraffic(seed: 12, count: 600);
        await AppendInBatchesAsync(ledger, entries, seed: 12);
        ImmutableArray<DateTimeOffset> boundaries = [BaseHour, BaseHour.AddMinutes(95), BaseHour.AddHours(5)];
        var query = new RollupQuery
        {
            EnvironmentIds = ["env-a", "env-b", "env-c"],
            Boundaries = boundaries,
            Filters = ImmutableDictionary<UsageDimension, ImmutableArray<string>>.Empty
                .Add(UsageDimension.Model, ["m-1", ""])
                .Add(UsageDimension.Team, [""])
                .Add(UsageDimension.StatusClass, [StatusClass.Success, StatusClass.TooManyRequests]),
            KeyBoundOnly = true,
        };

        var sums = await ReadBothWaysAsync(ledger, query);

        var expected = Expected(entries, boundaries, e =>
            e.ModelId is "m-1" or "" && e.TeamId is null && StatusClass.Of(e.StatusCode) is StatusClass.Success or StatusClass.TooManyRequests
            && e.KeyBound);
        Assert.NotEmpty(expected);
        AssertSameBuckets(Shaped(expected, query), sums);

        // One filtered dimension: its projection rows, keys bound or not.
        var byModel = new RollupQuery
        {
            EnvironmentIds = ["env-a", "env-c"],
            Boundaries = boundaries,
            Filters = ImmutableDictionary<UsageDimension, ImmutableArray<string>>.Empty.Add(UsageDimension.Model, ["m-2", ""]),
        };
        AssertSameBuckets(
            Shaped(Expected(entries, boundaries, e => e.EnvironmentId is "env-a" or "env-c" && e.ModelId is "m-2" or ""), byModel),
            await ReadBothWaysAsync(ledger, byModel));
    }

    [Fact]
    public async Task ReadRollupsAsync_FoldedInPartsWithLateEventsBetween_StaysExact()
    {
        await using var ledger = OpenLedger();
        // Latest events first: each later part adds late events to rows already folded.
        var entries = RandomTraffic(seed: 16, count: 600).OrderByDescending(e => e.OccurredAt).ToList();
        ImmutableArray<DateTimeOffset> boundaries = [BaseHour, BaseHour.AddMinutes(61), BaseHour.AddHours(3), BaseHour.AddHours(5)];
        var query = new RollupQuery { EnvironmentIds = ["env-a", "env-b", "env-c"], Boundaries = boundaries, GroupBy = [UsageDimension.ApiKey] };

        for (var part = 0; part < 3; part++)
        {
            var stored = entries.Take((part + 1) * 200).ToList();
            Assert.All(await ledger.AppendAsync(entries.Skip(part * 200).Take(200).ToList()), Assert.True);

            AssertSameBuckets(Shaped(Expected(stored, boundaries, _ => true), query), await ReadBothWaysAsync(ledger, query));
        }
    }

    [Fact]
    public async Task AppendAsync_Duplicates_NeverChangeTheRollups()
    {
        await using var ledger = OpenLedger();
        var entries = RandomTraffic(seed: 13, count: 200);
        await AppendInBatchesAsync(ledger, entries, seed: 13);
        ImmutableArray<DateTimeOffset> boundaries = [BaseHour, BaseHour.AddHours(5)];
        var query = new RollupQuery { EnvironmentIds = ["env-a", "env-b", "env-c"], Boundaries = boundaries };
        var before = await ReadBothWaysAsync(ledger, query);

        // The same events again: as replays, and resent with another time and cost.
        var again = await ledger.AppendAsync(entries.Take(50).ToList());
        var resent = await ledger.AppendAsync(entries.Skip(50).Take(50)
            .Select(e => e with { OccurredAt = e.OccurredAt.AddMinutes(-3), CostUsd = 1m, PromptTokens = 7 }).ToList());

        Assert.All(again.Concat(resent), Assert.False);
        AssertSameBuckets(before, await ReadBothWaysAsync(ledger, query));
        AssertSameBuckets(Shaped(Expected(entries, boundaries, _ => true), query), before);
    }

    [Fact]
    public async Task AppendAsync_RefusedAppend_LeavesNoRollup()
    {
        await using var ledger = OpenLedger();
        await ledger.AppendAsync([Entry("env", "dp-bad", "r-0", 0, 7)]);
        var good = Entry("env", "dp-good", "g-1", 0, 1) with { OccurredAt = BaseHour.AddMinutes(75) };

        var (refused, committed) = await AppendInOneGroupAsync(
            ledger,
            [Entry("env", "dp-bad", "r-1", 0, 8) with { OccurredAt = BaseHour.AddMinutes(75) }, Entry("env", "dp-bad", "r-2", 0, 7)],
            [good]);

        await Assert.ThrowsAsync<BudgetCluster.Grains.Abstractions.Gateways.LedgerUnavailableException>(() => refused);
        await committed;
        ImmutableArray<DateTimeOffset> boundaries = [BaseHour, BaseHour.AddMinutes(75), BaseHour.AddMinutes(76), BaseHour.AddHours(2)];
        var query = new RollupQuery { EnvironmentIds = ["env"], Boundaries = boundaries, GroupBy = [UsageDimension.Gateway] };
        var stored = new[] { Entry("env", "dp-bad", "r-0", 0, 7), good, Entry("env", "dp-blocker", "b", 0, 1) };
        AssertSameBuckets(Shaped(Expected(stored, boundaries, _ => true), query), await ReadBothWaysAsync(ledger, query));
    }

    [Fact]
    public async Task ReadRollupsAsync_OtherEnvironmentOrOutsideTheRange_ReadsNothing()
    {
        await using var ledger = OpenLedger();
        await ledger.AppendAsync([Entry("env", "dp", "r-1", 0, 1)]);

        var elsewhere = await ledger.ReadRollupsAsync(new RollupQuery { EnvironmentIds = ["env-x"], Boundaries = [BaseHour, BaseHour.AddHours(1)] });
        var later = await ledger.ReadRollupsAsync(new RollupQuery { EnvironmentIds = ["env"], Boundaries = [BaseHour.AddMinutes(31), BaseHour.AddHours(3)] });
        var none = await ledger.ReadRollupsAsync(new RollupQuery { EnvironmentIds = [], Boundaries = [BaseHour, BaseHour.AddHours(1)] });

        Assert.Empty(elsewhere);
        Assert.Empty(later);
        Assert.Empty(none);
    }

    [Fact]
    public async Task ReadEventsAsync_PagesThroughEveryEventOnceInCommitOrder()
    {
        await using var ledger = OpenLedger();
        var entries = RandomTraffic(seed: 14, count: 300);
        var committed = new List<LedgerEntry>();
        for (var i = 0; i < entries.Count; i += 20)
        {
            var batch = entries.Skip(i).Take(20).ToList();
            var inserted = await ledger.AppendAsync(batch);
            committed.AddRange(batch.Where((_, j) => inserted[j]));
            // Replays of what came before add nothing to the export.
            Assert.All(await ledger.AppendAsync(entries.Take(i + 20).TakeLast(10).ToList()), Assert.False);
        }

        var read = await ExportAllAsync(ledger, ["env-a", "env-c"], CommitPosition.Start, limit: 7);

        Assert.Equal(committed.Where(e => e.EnvironmentId is "env-a" or "env-c"), read);
        Assert.Equal(read.Select(e => e.Position).Order(), read.Select(e => e.Position));
        Assert.Equal(read.Count, read.Select(e => e.Position).Distinct().Count());
    }

    [Fact]
    public async Task ReadEventsAsync_FromAStoredCursor_ReadsOnlyLaterCommits()
    {
        await using var ledger = OpenLedger();
        await ledger.AppendAsync([Entry("env", "dp", "r-1", 0, 1), Entry("env", "dp", "r-2", 0, 2)]);
        var first = await ledger.ReadEventsAsync(["env"], CommitPosition.Start, 10);
        var caughtUp = await ledger.ReadEventsAsync(["env"], first.Next, 10);

        await ledger.AppendAsync([Entry("env", "dp", "r-3", 0, 3)]);
        await ledger.AppendAsync([Entry("env", "dp", "r-1", 0, 1)]);
        var next = await ledger.ReadEventsAsync(["env"], first.Next, 10);

        Assert.Equal(["r-1", "r-2"], first.Events.Select(e => e.RequestId));
        Assert.False(first.HasMore);
        Assert.Equal(first.Events[^1].Position, first.Next);
        Assert.Empty(caughtUp.Events);
        Assert.Equal(first.Next, caughtUp.Next);
        Assert.False(caughtUp.HasMore);
        Assert.Equal(["r-3"], next.Events.Select(e => e.RequestId));
        Assert.Equal((await ledger.ReadGatewayAsync("env", "dp", 2)).Single().Position, next.Next);
    }

    [Fact]
    public async Task ReadEventsAsync_ExactlyALimitLeft_SaysNoMore()
    {
        await using var ledger = OpenLedger();
        await ledger.AppendAsync([Entry("env", "dp", "r-1", 0, 1), Entry("env", "dp", "r-2", 0, 2), Entry("env", "dp", "r-3", 0, 3)]);

        var page = await ledger.ReadEventsAsync(["env"], CommitPosition.Start, 2);
        var last = await ledger.ReadEventsAsync(["env"], page.Next, 1);

        Assert.True(page.HasMore);
        Assert.Equal(["r-3"], last.Events.Select(e => e.RequestId));
        Assert.False(last.HasMore);
    }

    [Fact]
    public async Task ReadEventsAsync_WhileBatchesCommit_SeesEveryEventExactlyOnce()
    {
        await using var ledger = OpenLedger();
        const int Gateways = 4;
        const int Batches = 30;
        var writing = Task.WhenAll(Enumerable.Range(0, Gateways).Select(g => Task.Run(async () =>
        {
            for (var b = 0; b < Batches; b++)
            {
                var batch = Enumerable.Range(0, 10).Select(e => Entry("env", $"dp-{g}", $"r-{g}-{b}-{e}", 0, (b * 10) + e + 1)).ToList();
                await ledger.AppendAsync(batch);
                await ledger.AppendAsync(batch.Take(3).ToList());
            }
        })));

        var read = new List<LedgerEntry>();
        var cursor = CommitPosition.Start;
        while (true)
        {
            var done = writing.IsCompleted;
            var page = await ledger.ReadEventsAsync(["env"], cursor, 13);
            read.AddRange(page.Events);
            cursor = page.Next;
            if (done && !page.HasMore)
            {
                break;
            }
        }

        await writing;
        Assert.Equal(Gateways * Batches * 10, read.Count);
        Assert.Equal(read.Count, read.Select(e => e.RequestId).Distinct().Count());
        Assert.Equal(read.Select(e => e.Position).Order(), read.Select(e => e.Position));
    }

    [Fact]
    public async Task SumScopeAsync_EqualsTheScopesEventsAndTheBudgetsAttributions()
    {
        await using var ledger = OpenLedger();
        var periodStart = BaseHour.AddMinutes(45);
        var periodEnd = BaseHour.AddMinutes(225);
        var other = BaseHour.AddDays(-30);
        var entries = RandomTraffic(seed: 15, count: 500)
            .Select((e, i) => e with
            {
                Attributions = i % 3 == 0 ? [new BudgetAttribution("b-1", periodStart)]
                    : i % 3 == 1 ? [new BudgetAttribution("b-1", other), new BudgetAttribution("b-2", periodStart)] : [],
            })
            .ToList();
        await AppendInBatchesAsync(ledger, entries, seed: 15);
        var scope = new RollupQuery
        {
            EnvironmentIds = ["env-a", "env-b"],
            Boundaries = [periodStart, periodEnd],
            Filters = ImmutableDictionary<UsageDimension, ImmutableArray<string>>.Empty.Add(UsageDimension.ApiKey, ["k-1"]),
            KeyBoundOnly = true,
        };

        var unfolded = await ledger.SumScopeAsync(scope, "b-1", periodStart);
        await ledger.FoldAsync();
        var spend = await ledger.SumScopeAsync(scope, "b-1", periodStart);
        Assert.Equal(unfolded, spend);

        var inScope = entries
            .Where(e => e.EnvironmentId is "env-a" or "env-b" && e.ApiKeyId == "k-1" && e.KeyBound
                && e.OccurredAt >= periodStart && e.OccurredAt < periodEnd)
            .Sum(e => e.CostUsd);
        var attributed = entries.Where(e => e.Attributions.Contains(new BudgetAttribution("b-1", periodStart)) && e.CostUsd != 0m).Sum(e => e.CostUsd);
        Assert.Equal(new ScopeSpend(inScope, attributed), spend);
        Assert.NotEqual(0m, inScope);
        Assert.NotEqual(0m, attributed);
    }

    /// <summary>
    /// Events of three environments, two gateways each, over five hours from <see cref="BaseHour"/>:
    /// keys, models, teams and provider keys sometimes absent, every status class, retries, ttft
    /// present or not, latencies from 0 ms to minutes, costs with seven decimals.
    /// </summary>
    internal static List<LedgerEntry> RandomTraffic(int seed, int count)
    {
        var random = new Random(seed);
        var sequences = new Dictionary<(string, string), long>();
        int[] statuses = [200, 200, 200, 201, 400, 404, 429, 429, 500, 503, 0, 302];
        string?[] kinds = [null, "primary", "retry", "fallback"];
        var entries = new List<LedgerEntry>(count);
        for (var i = 0; i < count; i++)
        {
            var env = $"env-{(char)('a' + random.Next(3))}";
            var dp = $"dp-{random.Next(2)}";
            var sequence = sequences[(env, dp)] = sequences.GetValueOrDefault((env, dp)) + 1;
            var status = statuses[random.Next(statuses.Length)];
            var bound = random.Next(4) != 0;
            var latency = random.Next(3) switch
            {
                0 => random.Next(16),
                1 => random.Next(16, 3_000),
                _ => random.NextInt64(3_000, 400_000),
            };
            entries.Add(Entry(env, dp, $"r-{seed}-{i}", random.Next(4) == 0 ? 1 : 0, sequence, cost: random.Next(1_000_000) / 10_000_000m) with
            {
                OccurredAt = BaseHour.AddMilliseconds(random.NextInt64((long)TimeSpan.FromHours(5).TotalMilliseconds)),
                ModelId = new[] { "m-1", "m-2", "" }[random.Next(3)],
                ApiKeyId = new[] { "k-1", "k-2", "" }[random.Next(3)],
                PromptTokens = random.Next(5_000),
                CompletionTokens = random.Next(800),
                CachedPromptTokens = random.Next(3) == 0 ? random.Next(2_000) : 0,
                CacheCreationTokens = random.Next(50),
                CacheReadTokens = random.Next(50),
                ReasoningTokens = random.Next(300),
                StatusCode = status,
                ErrorClass = status == 429 && random.Next(2) == 0 ? StatusClass.BudgetErrorClass : status >= 400 ? "upstream_error" : null,
                UpstreamLatencyMs = latency,
                UpstreamTtftMs = random.Next(2) == 0 ? null : random.Next(3) == 0 ? random.Next(16) : random.Next(16, 5_000),
                CacheSavingsUsd = random.Next(100) / 100_000m,
                Unpriced = random.Next(10) == 0,
                CacheHit = random.Next(8) == 0,
                AttemptKind = kinds[random.Next(kinds.Length)],
                ProviderKeyId = random.Next(3) == 0 ? null : $"pk-{random.Next(2)}",
                KeyBound = bound,
                TeamId = bound && random.Next(3) != 0 ? $"t-{random.Next(2)}" : null,
                MemberId = bound && random.Next(2) == 0 ? $"u-{random.Next(3)}" : null,
            });
        }

        return entries;
    }

    [Fact]
    public async Task SumTokensAsync_SumsTheWindowsEventsPerModelVersionAndCacheHit_ExactlyAndNothingElse()
    {
        await using var ledger = OpenLedger();
        var random = new Random(91);
        var entries = Enumerable.Range(0, 300).Select(i => Entry(i % 7 == 0 ? "other" : "env", "dp", $"t{i}", 0, i + 1, random.Next(0, 10_000) / 1_000_000m) with
        {
            OccurredAt = BaseHour.AddMinutes(random.Next(-120, 240)),
            ModelId = $"m-{random.Next(3)}",
            PriceVersion = random.Next(4) == 0 ? null : random.Next(1, 3),
            CacheHit = random.Next(10) == 0,
            PromptTokens = random.Next(0, 5000),
            CachedPromptTokens = random.Next(0, 100),
            CompletionTokens = random.Next(0, 900),
            CacheCreationTokens = random.Next(0, 50),
            CacheReadTokens = random.Next(0, 60),
        }).ToList();
        await AppendInBatchesAsync(ledger, entries, seed: 5);
        var (from, to) = (BaseHour, BaseHour.AddHours(2));

        var sums = await ledger.SumTokensAsync(["env"], from, to);

        var expected = entries
            .Where(e => e.EnvironmentId == "env" && e.OccurredAt >= from && e.OccurredAt < to)
            .GroupBy(e => (e.ModelId, e.PriceVersion, e.CacheHit))
            .Select(g => new TokenSums(
                g.Key.ModelId, g.Key.PriceVersion, g.Key.CacheHit, g.Count(), g.Sum(e => e.PromptTokens), g.Sum(e => e.CachedPromptTokens),
                g.Sum(e => e.CompletionTokens), g.Sum(e => e.CacheCreationTokens), g.Sum(e => e.CacheReadTokens), g.Sum(e => e.CostUsd)))
            .OrderBy(sum => sum.ToString(), StringComparer.Ordinal)
            .ToList();
        Assert.True(expected.Count >= 10);
        Assert.Equal(expected, sums.OrderBy(sum => sum.ToString(), StringComparer.Ordinal));
    }

    /// <summary>Appends in batches of random sizes, each gateway's rows in sequence order as gateways send them.</summary>
    protected static async Task AppendInBatchesAsync(IUsageLedger ledger, IReadOnlyList<LedgerEntry> entries, int seed)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var random = new Random(seed);
        for (var i = 0; i < entries.Count;)
        {
            var batch = entries.Skip(i).Take(random.Next(1, 60)).ToList();
            Assert.All(await ledger.AppendAsync(batch), Assert.True);
            i += batch.Count;
        }
    }

    /// <summary>Pages the export from <paramref name="after"/> to its end, checking each page's cursor.</summary>
    internal static async Task<List<LedgerEntry>> ExportAllAsync(IUsageLedger ledger, ImmutableArray<string> environments, CommitPosition after, int limit)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var read = new List<LedgerEntry>();
        for (var pages = 0; pages < 10_000; pages++)
        {
            var page = await ledger.ReadEventsAsync(environments, after, limit);
            Assert.True(page.Events.Count <= limit);
            Assert.Equal(page.Events.Count > 0 ? page.Events[^1].Position : after, page.Next);
            read.AddRange(page.Events);
            after = page.Next;
            if (!page.HasMore)
            {
                Assert.Empty((await ledger.ReadEventsAsync(environments, after, limit)).Events);
                return read;
            }
        }

        throw new InvalidOperationException("The export never said it had no more.");
    }

    /// <summary>The entries' totals per (bucket index, rollup key), of those in a bucket and matching.</summary>
    internal static Dictionary<(int Bucket, RollupKey Key), UsageTotals> Expected(
        IEnumerable<LedgerEntry> entries, ImmutableArray<DateTimeOffset> boundaries, Func<LedgerEntry, bool> matches)
    {
        var sums = new Dictionary<(int, RollupKey), UsageTotals>();
        foreach (var entry in entries.Where(matches))
        {
            var bucket = BucketOf(entry.OccurredAt, boundaries);
            if (bucket >= 0)
            {
                Totals(sums, (bucket, entry.RollupKey)).Add(entry);
            }
        }

        return sums;
    }

    /// <summary>
    /// The sums a query reads per bucket and key, read with the rows not folded yet and again after
    /// everything is folded: both must be the same, and are returned.
    /// </summary>
    internal static async Task<Dictionary<(int Bucket, RollupKey Key), UsageTotals>> ReadBothWaysAsync(GroupCommitLedger ledger, RollupQuery query)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(query);
        var before = Shaped(SumPerBucket(await ledger.ReadRollupsAsync(query), query.Boundaries), query);
        await ledger.FoldAsync();
        var after = Shaped(SumPerBucket(await ledger.ReadRollupsAsync(query), query.Boundaries), query);
        AssertSameBuckets(before, after);
        return after;
    }

    /// <summary>
    /// Sums per bucket and key as a query of <paramref name="query"/>'s shape sees them: keys cut
    /// down to the one dimension it groups or filters by (<see cref="RollupShape"/>), or kept whole.
    /// </summary>
    internal static Dictionary<(int Bucket, RollupKey Key), UsageTotals> Shaped(
        Dictionary<(int Bucket, RollupKey Key), UsageTotals> sums, RollupQuery query)
    {
        ArgumentNullException.ThrowIfNull(sums);
        var shape = RollupShape.For(query);
        if (shape.Full)
        {
            return sums;
        }

        var shaped = new Dictionary<(int, RollupKey), UsageTotals>();
        foreach (var ((bucket, key), totals) in sums)
        {
            Totals(shaped, (bucket, ProjectionKey.Of(key, shape.Dimension).ToRollupKey())).Add(totals);
        }

        return shaped;
    }

    /// <summary>Rollup rows summed per (bucket index, key); every row must lie in a bucket.</summary>
    internal static Dictionary<(int Bucket, RollupKey Key), UsageTotals> SumPerBucket(IReadOnlyList<RollupRow> rows, ImmutableArray<DateTimeOffset> boundaries)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var sums = new Dictionary<(int, RollupKey), UsageTotals>();
        foreach (var row in rows)
        {
            var bucket = BucketOf(row.Start, boundaries);
            Assert.True(bucket >= 0, $"a rollup row of {row.Start:O} is outside the query's buckets");
            Totals(sums, (bucket, row.Key)).Add(row.Totals);
        }

        return sums;
    }

    /// <summary>Every field of every group, histograms bucket by bucket and the percentiles read from them.</summary>
    internal static void AssertSameBuckets(
        Dictionary<(int Bucket, RollupKey Key), UsageTotals> expected, Dictionary<(int Bucket, RollupKey Key), UsageTotals> actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        Assert.Equal(Describe(expected), Describe(actual));
        foreach (var (group, totals) in expected)
        {
            foreach (var q in new[] { 0.5, 0.95, 0.99 })
            {
                Assert.Equal(totals.Latency.Percentile(q, totals.LatencyMaxMs), actual[group].Latency.Percentile(q, actual[group].LatencyMaxMs));
                Assert.Equal(totals.Ttft.Percentile(q), actual[group].Ttft.Percentile(q));
            }
        }
    }

    private static List<string> Describe(Dictionary<(int Bucket, RollupKey Key), UsageTotals> groups) =>
        groups.Select(pair => $"{pair.Key.Bucket} {pair.Key.Key}: {Describe(pair.Value)}").Order(StringComparer.Ordinal).ToList();

    private static string Describe(UsageTotals t) => string.Create(CultureInfo.InvariantCulture,
        $"attempts={t.Attempts} requests={t.Requests} prompt={t.PromptTokens} completion={t.CompletionTokens} cached={t.CachedPromptTokens} "
        + $"creation={t.CacheCreationTokens} read={t.CacheReadTokens} reasoning={t.ReasoningTokens} spend={t.SpendUsd:0.############################} "
        + $"savings={t.CacheSavingsUsd:0.############################} hits={t.CacheHits} unpriced={t.UnpricedAttempts} errors={t.ErrorAttempts} "
        + $"denied={t.BudgetDenied} latency={t.LatencySumMs}/{t.LatencyMaxMs}/[{t.Latency.Encode()}] ttft={t.TtftCount}/{t.TtftSumMs}/[{t.Ttft.Encode()}]");

    private static UsageTotals Totals(Dictionary<(int, RollupKey), UsageTotals> sums, (int, RollupKey) group)
    {
        if (!sums.TryGetValue(group, out var totals))
        {
            sums[group] = totals = new UsageTotals();
        }

        return totals;
    }

    private static int BucketOf(DateTimeOffset instant, ImmutableArray<DateTimeOffset> boundaries)
    {
        for (var i = 0; i + 1 < boundaries.Length; i++)
        {
            if (instant >= boundaries[i] && instant < boundaries[i + 1])
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A whole UTC hour a few hours before now: the tests' event times are built from it.</summary>
    internal static DateTimeOffset BaseHour { get; } = Rollups.StartOf(TestClock.Now, RollupTier.Hour).AddHours(-6);

    /// <summary>An ordinary row; tests change what they exercise.</summary>
    internal static LedgerEntry Entry(string env, string dp, string requestId, int attempt, long sequence, decimal cost = 0.01m) => new()
    {
        EnvironmentId = env,
        RequestId = requestId,
        AttemptIndex = attempt,
        DpId = dp,
        Sequence = sequence,
        OccurredAt = BaseHour.AddMinutes(30),
        ReceivedAt = BaseHour.AddMinutes(30).AddMilliseconds(123),
        ModelId = "m",
        ApiKeyId = "k",
        PromptTokens = 100,
        CompletionTokens = 20,
        StatusCode = 200,
        UpstreamLatencyMs = 5,
        CostUsd = cost,
        CacheSavingsUsd = 0m,
        Unpriced = false,
        CacheHit = false,
    };
}

public sealed class SqliteUsageLedgerTests : UsageLedgerContract
{
    private readonly TempDirectory _temp = new();
    private string _connectionString = "";

    public override async Task InitializeAsync()
    {
        _connectionString = $"Data Source={_temp.File("ledger.db")}";
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        await SchemaMigrator.ApplyAsync(connection, "Sqlite/Ledger");
    }

    public override Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AppendAsync_UnusableDatabase_FailsWithLedgerUnavailable()
    {
        await using var ledger = new SqliteUsageLedger($"Data Source={_temp.File("missing-dir/none.db")};Mode=ReadWrite");

        await Assert.ThrowsAsync<BudgetCluster.Grains.Abstractions.Gateways.LedgerUnavailableException>(
            () => ledger.AppendAsync([Entry("env", "dp", "r", 0, 1)]));
    }

    [Fact]
    public async Task AppendAsync_WhileTheRollupFileIsWriteLocked_CommitsWithoutWaiting()
    {
        await using var ledger = (SqliteUsageLedger)OpenLedger();
        var entries = RandomTraffic(seed: 31, count: 400);
        await ledger.AppendAsync(entries.Take(200).ToList());
        await ledger.FoldAsync();

        // What a fold storing its sums holds: the rollup file's write lock. The ledger's writer
        // does not need it (its busy timeout is 10 s; the append must not wait for it at all).
        await using (var rollups = new SqliteConnection(SqliteUsageLedger.RollupsConnectionString(_connectionString)))
        {
            await rollups.OpenAsync();
            await using var locked = rollups.BeginTransaction(deferred: false);
            var appended = await ledger.AppendAsync(entries.Skip(200).ToList()).WaitAsync(TimeSpan.FromSeconds(5));
            Assert.All(appended, Assert.True);
            Assert.Equal(200L, await FoldedPositionAsync().WaitAsync(TimeSpan.FromSeconds(5)));
        }

        Assert.Equal(200L, await ledger.FoldAsync());
        ImmutableArray<DateTimeOffset> boundaries = [BaseHour, BaseHour.AddHours(5)];
        var query = new RollupQuery { EnvironmentIds = ["env-a", "env-b", "env-c"], Boundaries = boundaries, GroupBy = [UsageDimension.Gateway, UsageDimension.Model] };
        AssertSameBuckets(Expected(entries, boundaries, _ => true), await ReadBothWaysAsync(ledger, query));
    }

    [Fact]
    public async Task ReadRollupsAsync_RollupFileDeleted_IsRebuiltFromTheLedger()
    {
        var entries = RandomTraffic(seed: 32, count: 500);
        await using (var ledger = OpenLedger())
        {
            await ledger.AppendAsync(entries);
            Assert.Equal(500L, await ledger.FoldAsync());
        }

        DeleteDatabase(SqliteUsageLedger.RollupsConnectionString(_connectionString));

        await using var reopened = OpenLedger();
        ImmutableArray<DateTimeOffset> boundaries = [BaseHour, BaseHour.AddMinutes(90), BaseHour.AddHours(5)];
        var query = new RollupQuery { EnvironmentIds = ["env-a", "env-b", "env-c"], Boundaries = boundaries, GroupBy = [UsageDimension.ApiKey, UsageDimension.Model] };
        AssertSameBuckets(Expected(entries, boundaries, _ => true), await ReadBothWaysAsync(reopened, query));
        Assert.Equal(500L, await FoldedPositionAsync());
    }

    [Fact]
    public async Task ReadRollupsAsync_RollupFileAheadOfTheLedger_IsEmptiedAndRefolded()
    {
        // Rollups of 300 rows beside a ledger that has 40 (a ledger file restored from an older
        // backup, or replaced): they are not this ledger's sums.
        var entries = RandomTraffic(seed: 33, count: 300);
        await using (var ledger = OpenLedger())
        {
            await ledger.AppendAsync(entries);
            Assert.Equal(300L, await ledger.FoldAsync());
        }

        DeleteDatabase(_connectionString);

        await InitializeAsync();
        var kept = RandomTraffic(seed: 34, count: 40);
        await using var replaced = OpenLedger();
        await replaced.AppendAsync(kept);

        ImmutableArray<DateTimeOffset> boundaries = [BaseHour, BaseHour.AddHours(5)];
        var query = new RollupQuery { EnvironmentIds = ["env-a", "env-b", "env-c"], Boundaries = boundaries, GroupBy = [UsageDimension.Gateway, UsageDimension.Model] };
        AssertSameBuckets(Expected(kept, boundaries, _ => true), await ReadBothWaysAsync(replaced, query));
        Assert.Equal(40L, await FoldedPositionAsync());
    }

    [Fact]
    public async Task ReadRollupsAsync_EightLedgersCreatingTheRollupFileAtOnce_AllAnswer()
    {
        var entries = RandomTraffic(seed: 35, count: 200);
        ImmutableArray<DateTimeOffset> boundaries = [BaseHour, BaseHour.AddHours(5)];
        var query = new RollupQuery { EnvironmentIds = ["env-a", "env-b", "env-c"], Boundaries = boundaries, GroupBy = [UsageDimension.Model] };
        var ledgers = Enumerable.Range(0, 8).Select(_ => OpenLedger()).ToList();
        try
        {
            // No rollup file yet: each ledger's first read creates and migrates it, all at once.
            var empty = await Task.WhenAll(ledgers.Select(ledger => Task.Run(() => ledger.ReadRollupsAsync(query))));
            Assert.All(empty, Assert.Empty);

            await ledgers[0].AppendAsync(entries);
            var views = await Task.WhenAll(ledgers.Select(ledger => Task.Run(() => ReadBothWaysAsync(ledger, query))));
            Assert.All(views, view => AssertSameBuckets(Shaped(Expected(entries, boundaries, _ => true), query), view));
        }
        finally
        {
            foreach (var ledger in ledgers)
            {
                await ledger.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData("Data Source=:memory:")]
    [InlineData("Data Source=ledger;Mode=Memory;Cache=Shared")]
    [InlineData("")]
    public void RollupsConnectionString_NoFile_IsRefusedWithTheReason(string connectionString)
    {
        var refused = Assert.Throws<ArgumentException>(() => SqliteUsageLedger.RollupsConnectionString(connectionString));
        Assert.Contains("needs a file", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RollupsConnectionString_IsTheLedgerFileNameWithRollupsBeforeItsExtension()
    {
        var rollups = new SqliteConnectionStringBuilder(SqliteUsageLedger.RollupsConnectionString($"Data Source={Path.Combine("data", "ledger.db")};Pooling=False"));
        Assert.Equal(Path.Combine("data", "ledger.rollups.db"), rollups.DataSource);
        Assert.False(rollups.Pooling);
    }

    [Fact]
    public async Task AppendAsync_TwoLedgersOnOneFileInTurn_KeepRollupsAndPositionsExact()
    {
        await using var first = OpenLedger();
        await using var second = OpenLedger();
        var entries = Enumerable.Range(0, 60)
            .Select(i => Entry("env", "dp", $"r-{i}", 0, i + 1, cost: 0.001m * i) with { OccurredAt = BaseHour.AddMinutes(i % 3), UpstreamLatencyMs = i * 37 })
            .ToList();
        ImmutableArray<DateTimeOffset> boundaries = [BaseHour, BaseHour.AddMinutes(2), BaseHour.AddHours(1)];

        // Both add to the same minute and hour rows, each after the other has committed.
        for (var i = 0; i < entries.Count; i += 6)
        {
            Assert.All(await (i % 12 == 0 ? first : second).AppendAsync(entries.Skip(i).Take(6).ToList()), Assert.True);
        }

        var query = new RollupQuery { EnvironmentIds = ["env"], Boundaries = boundaries, GroupBy = [UsageDimension.ApiKey, UsageDimension.Model] };
        AssertSameBuckets(Expected(entries, boundaries, _ => true), await ReadBothWaysAsync(first, query));
        Assert.Equal(entries, await ExportAllAsync(second, ["env"], CommitPosition.Start, 100));
    }

    [Fact]
    public async Task FoldAsync_TwoLedgersOnOneFileFoldingAtOnce_CountEveryRowOnce()
    {
        await using var first = OpenLedger();
        await using var second = OpenLedger();
        var entries = RandomTraffic(seed: 17, count: 1200);
        ImmutableArray<DateTimeOffset> boundaries = [BaseHour, BaseHour.AddHours(5)];
        var query = new RollupQuery { EnvironmentIds = ["env-a", "env-b", "env-c"], Boundaries = boundaries, GroupBy = [UsageDimension.Gateway, UsageDimension.Model] };

        // Both append and fold while the other does the same; every fold starts from the stored position.
        await Task.WhenAll(new[] { first, second }.Select((ledger, i) => Task.Run(async () =>
        {
            for (var part = i; part < 12; part += 2)
            {
                await ledger.AppendAsync(entries.Skip(part * 100).Take(100).ToList());
                await ledger.FoldAsync();
            }
        })));

        AssertSameBuckets(Expected(entries, boundaries, _ => true), await ReadBothWaysAsync(first, query));
        AssertSameBuckets(Expected(entries, boundaries, _ => true), await ReadBothWaysAsync(second, query));
    }

    [Fact]
    public async Task ReadRollupsAsync_RowsStoredHeldInMemoryAndNotYetHanded_CountOnceEach()
    {
        await using var ledger = (SqliteUsageLedger)OpenLedger();
        var entries = RandomTraffic(seed: 18, count: 900);
        ImmutableArray<DateTimeOffset> boundaries = [BaseHour, BaseHour.AddMinutes(150), BaseHour.AddHours(5)];
        var query = new RollupQuery { EnvironmentIds = ["env-a", "env-b", "env-c"], Boundaries = boundaries, GroupBy = [UsageDimension.Model] };

        await ledger.AppendAsync(entries.Take(300).ToList());
        await ledger.FoldAsync();
        await ledger.AppendAsync(entries.Skip(300).Take(300).ToList());
        await ledger.AbsorbNowAsync();
        await ledger.AppendAsync(entries.Skip(600).ToList());

        Assert.Equal(300L, await FoldedPositionAsync());
        Assert.Equal(600L, await ledger.UnfoldedRowsAsync());
        AssertSameBuckets(Shaped(Expected(entries, boundaries, _ => true), query), await ReadBothWaysAsync(ledger, query));
        Assert.Equal(900L, await FoldedPositionAsync());
    }

    [Fact]
    public async Task ReadRollupsAsync_WhileFoldsStoreAndAbsorb_NeverMissesOrDoublesACommittedRow()
    {
        await using var ledger = (SqliteUsageLedger)OpenLedger();
        var entries = RandomTraffic(seed: 19, count: 3000);
        var query = new RollupQuery { EnvironmentIds = ["env-a", "env-b", "env-c"], Boundaries = [BaseHour, BaseHour.AddHours(5)] };
        using var done = new CancellationTokenSource();
        var folding = Task.Run(async () =>
        {
            for (var i = 0; !done.IsCancellationRequested; i++)
            {
                await (i % 3 == 0 ? ledger.FoldAsync() : ledger.AbsorbNowAsync());
            }
        });

        // Each batch commits, then a read starts while the next one commits and folds go on:
        // it must count every row committed before it began, and none that was never committed.
        var committed = 0;
        foreach (var batch in entries.Chunk(50))
        {
            var appended = ledger.AppendAsync(batch);
            var attempts = (await ledger.ReadRollupsAsync(query)).Sum(row => row.Totals.Attempts);
            Assert.InRange(attempts, committed, committed + batch.Length);
            await appended;
            committed += batch.Length;
        }

        await done.CancelAsync();
        await folding;
        Assert.Equal(entries.Count, (await ledger.ReadRollupsAsync(query)).Sum(row => row.Totals.Attempts));
    }

    /// <summary>Deletes a database's file with its WAL and shared-memory files (pooled connections closed first).</summary>
    private static void DeleteDatabase(string connectionString)
    {
        SqliteConnection.ClearAllPools();
        var path = new SqliteConnectionStringBuilder(connectionString).DataSource;
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }
    }

    private Task<long> FoldedPositionAsync() => TempDirectory.FoldedPositionAsync(_connectionString);

    /// <summary>
    /// Folds when a test asks (<see cref="GroupCommitLedger.FoldAsync"/>), so reads see the rows
    /// not folded yet; the loop runs, but an hour apart, so the writer hands its rows to the fold
    /// and the loop sums them every second without writing.
    /// </summary>
    protected override GroupCommitLedger OpenLedger() => new SqliteUsageLedger(_connectionString, TimeSpan.FromHours(1));

    /// <summary>An immediate transaction holds SQLite's write lock until it is rolled back.</summary>
    protected override async Task<IAsyncDisposable> HoldWriteLockAsync()
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        return new HeldLock(connection, connection.BeginTransaction(deferred: false));
    }

    /// <summary>Rolls back before closing: a pooled connection would otherwise keep the lock.</summary>
    private sealed class HeldLock(SqliteConnection connection, SqliteTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}

public sealed class PostgresUsageLedgerTests : UsageLedgerContract
{
    private NpgsqlDataSource? _dataSource;

    public override async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await PostgresServer.Instance.CreateDatabaseAsync("ledger"));
        await PostgresSchema.ApplyAsync(_dataSource, ["PostgreSql/Ledger"]);
    }

    public override async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    [Fact]
    public async Task ApplyAsync_SecondTime_AppliesNothing()
    {
        Assert.Empty(await PostgresSchema.ApplyAsync(_dataSource!, ["PostgreSql/Ledger"]));
    }

    [Fact]
    public async Task ApplyAsync_SilosStartingAtTheSameMoment_ApplyEachScriptOnce()
    {
        await using var fresh = NpgsqlDataSource.Create(await PostgresServer.Instance.CreateDatabaseAsync("race"));
        string[] sets = ["PostgreSql/Grains", "PostgreSql/Ledger"];

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostgresSchema.ApplyAsync(fresh, sets))));

        var expected = sets.SelectMany(SchemaMigrator.LoadScripts).Select(script => script.Name).Order();
        Assert.Equal(expected, runs.SelectMany(applied => applied).Order());
    }

    [Fact]
    public async Task AppendAsync_EventsOfSeveralMonths_LandInMonthPartitions()
    {
        await using var ledger = OpenLedger();
        await ledger.AppendAsync([
            Entry("env", "dp", "nov", 0, 1) with { OccurredAt = DateTimeOffset.Parse("2026-11-30T23:59:59Z", CultureInfo.InvariantCulture) },
            Entry("env", "dp", "dec", 0, 2) with { OccurredAt = DateTimeOffset.Parse("2026-12-01T00:00:00Z", CultureInfo.InvariantCulture) },
        ]);

        Assert.Equal(["dec:usage_ledger_2026_12", "nov:usage_ledger_2026_11"], await PartitionsOfRowsAsync());
    }

    [Fact]
    public async Task AppendAsync_UnderThaiBuddhistCalendarCulture_CreatesGregorianPartitions()
    {
        // The writer task inherits the culture of the append that starts it, as a silo started with
        // LANG=th_TH.UTF-8 runs everything under th-TH (years counted from 543 BC).
        var culture = CultureInfo.CurrentCulture;
        var uiCulture = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("th-TH");
        try
        {
            Assert.IsType<ThaiBuddhistCalendar>(CultureInfo.CurrentCulture.Calendar);
            await using var ledger = OpenLedger();

            var inserted = await ledger.AppendAsync([
                Entry("env", "dp", "dec", 0, 1) with { OccurredAt = DateTimeOffset.Parse("2026-12-15T08:00:00Z", CultureInfo.InvariantCulture) },
            ]);

            Assert.Equal([true], inserted);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = uiCulture;
        }

        Assert.Equal(["dec:usage_ledger_2026_12"], await PartitionsOfRowsAsync());
        await using var command = _dataSource!.CreateCommand(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'usage_ledger_2026_12'");
        Assert.Equal(
            "FOR VALUES FROM ('2026-12-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')",
            (string?)await command.ExecuteScalarAsync());
    }

    private async Task<List<string>> PartitionsOfRowsAsync()
    {
        await using var command = _dataSource!.CreateCommand(
            "SELECT tableoid::regclass::text, request_id FROM usage_ledger ORDER BY request_id");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetString(1)}:{reader.GetString(0)}");
        }

        return rows;
    }

    [Fact]
    public async Task AppendAsync_NulInARequestId_FailsOnlyItsAppendAndTheOtherGatewaysCommits()
    {
        await using var ledger = OpenLedger();

        var (refused, committed) = await AppendInOneGroupAsync(
            ledger, [Entry("env", "dp-bad", "r-\0-1", 0, 1)], [Entry("env", "dp-good", "g-1", 0, 1)]);

        var error = await Assert.ThrowsAsync<BudgetCluster.Grains.Abstractions.Gateways.LedgerUnavailableException>(() => refused);
        Assert.IsType<PostgresException>(error.InnerException);
        var stored = await committed;
        Assert.Equal([true], stored);
        await using var reopened = OpenLedger();
        Assert.Equal(["g-1"], (await reopened.ReadGatewayAsync("env", "dp-good", 0)).Select(r => r.RequestId));
        Assert.Empty(await ledger.ReadGatewayAsync("env", "dp-bad", 0));
    }

    /// <summary>Folds only when a test asks (<see cref="GroupCommitLedger.FoldAsync"/>), so reads see the rows not folded yet.</summary>
    protected override GroupCommitLedger OpenLedger() => new PostgresUsageLedger(_dataSource!, Timeout.InfiniteTimeSpan);

    /// <summary>An open transaction holding a lock that conflicts with the writer's inserts.</summary>
    protected override async Task<IAsyncDisposable> HoldWriteLockAsync()
    {
        var connection = await _dataSource!.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "BEGIN; LOCK TABLE usage_event_identity IN EXCLUSIVE MODE";
        await command.ExecuteNonQueryAsync();
        return connection;
    }
}
