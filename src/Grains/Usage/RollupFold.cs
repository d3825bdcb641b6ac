using BudgetCluster.Grains.Ledger;

namespace BudgetCluster.Grains.Usage;

/// <summary>
/// What folding some ledger rows adds to the stored rollups: full rows (every dimension) per UTC
/// minute and hour, and projection rows (<see cref="ProjectionKey"/>) of each dimension per hour and
/// day, and of the environment total also per minute.
/// Each coarser set is summed from the finer one, so a ledger row is added once and then only sums
/// are added: minutes from the rows, hours from the minutes, projections from the full rows of their
/// tier, days from the hour projections.
/// </summary>
public sealed class RollupFold
{
    public Dictionary<(DateTimeOffset Start, RollupKey Key), UsageTotals> Minutes { get; } = [];

    public Dictionary<(DateTimeOffset Start, RollupKey Key), UsageTotals> Hours { get; } = [];

    public Dictionary<(RollupTier Tier, DateTimeOffset Start, ProjectionKey Key), UsageTotals> Projections { get; } = [];

    /// <summary>How many ledger rows were folded.</summary>
    public int Rows { get; private set; }

    public static RollupFold Of(IEnumerable<LedgerEntry> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var fold = new RollupFold();
        foreach (var row in rows)
        {
            fold.Add(row);
        }

        fold.Complete();
        return fold;
    }

    /// <summary>Adds a ledger row to the minute rows; <see cref="Complete"/> then sums the coarser sets.</summary>
    public void Add(LedgerEntry row)
    {
        Rollups.Add(Minutes, row, RollupTier.Minute);
        Rows++;
    }

    /// <summary>Adds another fold's minute rows (one not completed) to this one's.</summary>
    public void Add(RollupFold other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (group, totals) in other.Minutes)
        {
            Rollups.SumOf(Minutes, group).Add(totals);
        }

        Rows += other.Rows;
    }

    /// <summary>
    /// The minute rows among <paramref name="minutes"/> that a query counts, as copies (the
    /// originals may go on being added to): within its range, of its environments, matching its filters.
    /// </summary>
    public static List<RollupRow> Matching(Dictionary<(DateTimeOffset Start, RollupKey Key), UsageTotals> minutes, RollupQuery query)
    {
        ArgumentNullException.ThrowIfNull(minutes);
        ArgumentNullException.ThrowIfNull(query);
        var rows = new List<RollupRow>();
        if (query.Boundaries.IsDefaultOrEmpty)
        {
            return rows;
        }

        var (from, to) = (query.Boundaries[0], query.Boundaries[^1]);
        foreach (var ((start, key), totals) in minutes)
        {
            if (start >= from && start < to && RollupShape.Matches(query, key))
            {
                var copy = new UsageTotals();
                copy.Add(totals);
                rows.Add(new RollupRow(start, key, copy));
            }
        }

        return rows;
    }

    /// <summary>Sums the hours and projections from the minutes added; once, after the last <see cref="Add(LedgerEntry)"/>.</summary>
    public void Complete()
    {
        if (Hours.Count > 0 || Projections.Count > 0)
        {
            throw new InvalidOperationException("The fold is already complete.");
        }

        foreach (var (group, totals) in Rollups.Coarsen(Minutes, RollupTier.Hour))
        {
            Hours[group] = totals;
        }

        // Per minute only the environment total: one dimension's minutes are read from the full
        // minute rows, which are about as many at any traffic (each minute's keys are few).
        Project(RollupTier.Minute, Minutes, dimensions: []);
        Project(RollupTier.Hour, Hours, ProjectionKey.Dimensions);
        foreach (var ((tier, start, key), totals) in Projections.Where(row => row.Key.Tier == RollupTier.Hour).ToList())
        {
            Rollups.SumOf(Projections, (RollupTier.Day, Rollups.StartOf(start, RollupTier.Day), key)).Add(totals);
        }
    }

    /// <summary>
    /// The rows a query counts among <paramref name="rows"/> (ledger rows not folded yet), as minute
    /// rows with every dimension: what a store adds to the rollup rows it read, so that a usage view
    /// is exactly the ledger even before the rows are folded.
    /// </summary>
    public static List<RollupRow> Unfolded(IEnumerable<LedgerEntry> rows, RollupQuery query)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(query);
        var minutes = new Dictionary<(DateTimeOffset Start, RollupKey Key), UsageTotals>();
        foreach (var row in rows)
        {
            Rollups.Add(minutes, row, RollupTier.Minute);
        }

        return Matching(minutes, query);
    }

    private void Project(RollupTier tier, Dictionary<(DateTimeOffset Start, RollupKey Key), UsageTotals> rows, IReadOnlyList<UsageDimension> dimensions)
    {
        foreach (var ((start, key), totals) in rows)
        {
            Rollups.SumOf(Projections, (tier, start, ProjectionKey.Of(key, null))).Add(totals);
            foreach (var dimension in dimensions)
            {
                Rollups.SumOf(Projections, (tier, start, ProjectionKey.Of(key, dimension))).Add(totals);
            }
        }
    }
}
