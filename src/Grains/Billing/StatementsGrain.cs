using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Billing;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Budgets;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Storage;
using BudgetCluster.Grains.Usage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetCluster.Grains.Billing;

/// <summary>
/// An org's statements (API.md §8). State (<see cref="StatementsState"/>): the first period, the
/// index of closed statements and the sums the last one knew (<see cref="StatementBuilder"/>),
/// written when a statement closes, after its body (<see cref="StatementBodyGrain"/>, keyed by
/// its hash), so a crash between the two leaves the statement open and the next close writes
/// another body, which the index then names. Nothing
/// else is kept: an open statement is computed from the rollups at each request (exact, as usage
/// views are). One activation per org serializes closing, so a statement closes once however many
/// silos ask (each silo's <c>StatementCloser</c> does, every <see cref="BillingOptions.CloseCheckInterval"/>).
/// <para>
/// Statements are contiguous: the first open one starts where the last closed one ended, so a
/// change of the org's billing time zone leaves no instant out and none twice.
/// </para>
/// </summary>
[GrainType("statements")]
internal sealed partial class StatementsGrain(
    [PersistentState("statements", GrainStorageNames.Default)] IPersistentState<StatementsState> state,
    IUsageLedger ledger,
    TimeProvider time,
    IOptions<BillingOptions> options,
    ILogger<StatementsGrain> logger)
    : Grain, IStatementsGrain
{
    /// <summary>Most statements one call of <see cref="CloseDueStatementsAsync"/> closes; the next check goes on.</summary>
    private const int MostClosedPerCheck = 12;

    private string OrgId => this.GetPrimaryKeyString();

    public async Task<byte[]?> GetStatementAsync(string period)
    {
        var (asked, calendar, answer) = await LookUpAsync(period);
        if (calendar is null)
        {
            return answer;
        }

        var (statement, _) = await ComputeAsync(asked, calendar, closedAt: null);
        return StatementJson.Write(statement).Body;
    }

    public async Task<ImmutableArray<StatementSummary>> ListStatementsAsync()
    {
        if (await CalendarAsync() is not { } calendar)
        {
            return [];
        }

        var summaries = state.State.Closed
            .Select(closed => new StatementSummary(
                closed.Period, true, closed.StartingAt, closed.EndingAt, closed.ClosedAt, closed.TotalUsd, closed.ContentSha256))
            .ToImmutableArray().ToBuilder();
        for (var period = FirstOpen(calendar); period <= calendar.Current; period = period.Next)
        {
            var (statement, _) = await ComputeAsync(period, calendar, closedAt: null);
            summaries.Add(new StatementSummary(
                period.ToString(), false, statement.Window.Start, statement.Window.End, null, statement.TotalUsd, null));
        }

        return summaries.ToImmutable();
    }

    public async Task<byte[]?> CloseStatementAsync(string period)
    {
        var (asked, calendar, answer) = await LookUpAsync(period);
        if (calendar is null)
        {
            if (answer is null && await CalendarAsync() is { } later && asked > later.Current)
            {
                throw new DefinitionConflictException($"the period {asked} has not begun: a statement can be closed once its period has ended");
            }

            return answer;
        }

        var end = OpenWindow(asked, calendar).End;
        if (calendar.Now < end)
        {
            throw new DefinitionConflictException(
                $"the period {asked} has not ended: it ends at {end.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}, and its statement can be closed from then on");
        }

        var firstOpen = FirstOpen(calendar);
        if (asked != firstOpen)
        {
            throw new DefinitionConflictException($"the statement of {firstOpen} is still open: statements close in order, {firstOpen} first");
        }

        return await CloseAsync(asked, calendar);
    }

    public async Task<int> CloseDueStatementsAsync()
    {
        if (await CalendarAsync() is not { } calendar)
        {
            return 0;
        }

        var closed = 0;
        for (var period = FirstOpen(calendar); period <= calendar.Current && closed < MostClosedPerCheck; period = period.Next)
        {
            if (calendar.Now < OpenWindow(period, calendar).End + options.Value.CloseAfter)
            {
                break;
            }

            await CloseAsync(period, calendar);
            closed++;
        }

        return closed;
    }

    /// <summary>
    /// The period asked for, and either the org's calendar (the statement is open) or the answer
    /// already known: the stored body of a closed statement, null when the org has no such statement.
    /// </summary>
    private async Task<(StatementPeriod Period, Calendar? Calendar, byte[]? Answer)> LookUpAsync(string period)
    {
        var asked = Parse(period);
        if (await CalendarAsync() is not { } calendar || asked < calendar.First || asked > calendar.Current)
        {
            return (asked, null, null);
        }

        return Closed(asked) is not { } closed ? (asked, calendar, null) : (asked, null, await Body(asked, closed.ContentSha256).GetBodyAsync());
    }

    /// <summary>Closes the first open statement, whose period has ended: body first, then the index.</summary>
    private async Task<byte[]> CloseAsync(StatementPeriod period, Calendar calendar)
    {
        var (statement, current) = await ComputeAsync(period, calendar, closedAt: calendar.Now);
        var (body, hash) = StatementJson.Write(statement);
        await Body(period, hash!).StoreBodyAsync(body);

        var closed = new ClosedStatement(
            period.ToString(), statement.Window.Start, statement.Window.End, calendar.Now, statement.TotalUsd, hash!);
        var tracked = StatementBuilder.Tracked([.. state.State.Closed, closed], options.Value.LateEventWindow)
            .Select(entry => entry.Period).ToHashSet(StringComparer.Ordinal);
        state.State.Known = [.. StatementBuilder.Known(state.State.Known, current)
            .Concat(StatementBuilder.Sums(period, statement.Lines))
            .Where(sum => tracked.Contains(sum.Period))];
        state.State.Closed.Add(closed);
        await state.WriteOrResetAsync(this);
        LogClosed(logger, OrgId, closed.Period, closed.TotalUsd, statement.Adjustments.Length);
        return body;
    }

    /// <summary>
    /// The statement of <paramref name="period"/> as the rollups hold it now, and, when it is the
    /// first open one, what they hold of each period the last closed statement knew (its
    /// adjustments' source, and what the next known sums are made of).
    /// </summary>
    private async Task<(Statement Statement, ImmutableArray<PeriodSum> Current)> ComputeAsync(
        StatementPeriod period, Calendar calendar, DateTimeOffset? closedAt)
    {
        var window = OpenWindow(period, calendar);
        var rows = await ReadAsync(calendar, [window.Start, window.End], [UsageDimension.Environment, UsageDimension.Model, UsageDimension.ProviderKey]);
        var lines = StatementBuilder.Lines(rows);

        ImmutableArray<PeriodSum> current = [];
        ImmutableArray<StatementAdjustment> adjustments = [];
        var known = period == FirstOpen(calendar) ? StatementBuilder.Tracked(state.State.Closed, options.Value.LateEventWindow) : [];
        if (known.Count > 0)
        {
            // The tracked months are the last closed statements, one after the other: one read of their windows.
            var boundaries = known.Select(closed => closed.StartingAt).Append(known[^1].EndingAt).ToImmutableArray();
            var earlier = await ReadAsync(calendar, boundaries, [UsageDimension.Environment, UsageDimension.Model]);
            current = [.. known.SelectMany((closed, index) => StatementBuilder.Sums(
                Parse(closed.Period),
                earlier.Where(row => row.Start >= boundaries[index] && row.Start < boundaries[index + 1])))];
            adjustments = StatementBuilder.Adjustments(current, state.State.Known);
        }

        return (new Statement(OrgId, period, calendar.ZoneName, window, closedAt, lines, adjustments), current);
    }

    private async Task<IReadOnlyList<RollupRow>> ReadAsync(
        Calendar calendar, ImmutableArray<DateTimeOffset> boundaries, ImmutableArray<UsageDimension> groupBy) =>
        calendar.Environments.IsEmpty
            ? []
            : await ledger.ReadRollupsAsync(new RollupQuery { EnvironmentIds = calendar.Environments, Boundaries = boundaries, GroupBy = groupBy });

    /// <summary>The org's calendar now; null when the org does not exist. Fixes the first period the first time.</summary>
    private async Task<Calendar?> CalendarAsync()
    {
        var org = GrainFactory.GetGrain<IOrgGrain>(OrgId);
        if (await org.GetOrgAsync() is not { } definition)
        {
            return null;
        }

        var zoneName = definition.BillingTimeZone ?? "UTC";
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneName);
        var now = time.GetUtcNow();
        if (state.State.FirstPeriod is null)
        {
            // From the month of the oldest event a gateway could still send when the org was created
            // (or, for one stored before it recorded that, when its statements were first looked at),
            // so that no accepted event falls before the first statement.
            var first = StatementPeriod.Containing((await org.GetCreatedAtAsync() ?? now) - options.Value.LateEventWindow, zone);
            state.State.FirstPeriod = first.ToString();
            await state.WriteOrResetAsync(this);
        }

        return new Calendar(zone, zoneName, await org.ListUsageEnvironmentsAsync(), Parse(state.State.FirstPeriod), StatementPeriod.Containing(now, zone), now);
    }

    private StatementPeriod FirstOpen(Calendar calendar) =>
        state.State.Closed.Count == 0 ? calendar.First : Parse(state.State.Closed[^1].Period).Next;

    private PeriodWindow OpenWindow(StatementPeriod period, Calendar calendar) =>
        StatementBuilder.OpenWindow(period, calendar.Zone, period == FirstOpen(calendar), state.State.Closed.LastOrDefault()?.EndingAt);

    private ClosedStatement? Closed(StatementPeriod period)
    {
        var name = period.ToString();
        return state.State.Closed.Find(closed => closed.Period == name);
    }

    /// <summary>
    /// The body with that hash: a close that crashed before its index write leaves a body under a
    /// hash no index names, and the next close writes its own beside it, never over a served one.
    /// </summary>
    private IStatementBodyGrain Body(StatementPeriod period, string contentSha256) =>
        GrainFactory.GetGrain<IStatementBodyGrain>($"{OrgId}/{period}/{contentSha256}");

    private static StatementPeriod Parse(string period) =>
        StatementPeriod.TryParse(period, out var parsed) ? parsed : throw new ArgumentException($"'{period}' is not a statement period (YYYY-MM)", nameof(period));

    [LoggerMessage(6001, LogLevel.Information, "Statement {OrgId} {Period} closed: total {TotalUsd} USD, {Adjustments} adjustment lines")]
    private static partial void LogClosed(ILogger logger, string orgId, string period, decimal totalUsd, int adjustments);

    private sealed record Calendar(
        TimeZoneInfo Zone, string ZoneName, ImmutableArray<string> Environments, StatementPeriod First, StatementPeriod Current, DateTimeOffset Now);
}
