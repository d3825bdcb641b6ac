using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace BudgetCluster.Grains.Usage;

/// <summary>
/// Where a ledger row stands in commit order: the export cursor (API.md §7). On SQLite one writer
/// commits in order, so <see cref="Number"/> alone orders rows and <see cref="Transaction"/> is 0.
/// On PostgreSQL several silos commit concurrently: <see cref="Transaction"/> is the writing
/// transaction's id (<c>pg_current_xact_id()</c>) and <see cref="Number"/> a sequence value, and a
/// reader only reads transactions below the oldest one still running, so one that commits late
/// is never passed over. Shown to clients as an opaque text.
/// </summary>
public readonly record struct CommitPosition(long Transaction, long Number) : IComparable<CommitPosition>
{
    private const string Prefix = "v1.";

    public static CommitPosition Start { get; } = new(0, 0);

    public int CompareTo(CommitPosition other) =>
        Transaction != other.Transaction ? Transaction.CompareTo(other.Transaction) : Number.CompareTo(other.Number);

    public static bool operator <(CommitPosition left, CommitPosition right) => left.CompareTo(right) < 0;

    public static bool operator >(CommitPosition left, CommitPosition right) => left.CompareTo(right) > 0;

    public static bool operator <=(CommitPosition left, CommitPosition right) => left.CompareTo(right) <= 0;

    public static bool operator >=(CommitPosition left, CommitPosition right) => left.CompareTo(right) >= 0;

    public string Encode()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Transaction}.{Number}");
        return Base64Url.EncodeToString(Encoding.ASCII.GetBytes(text));
    }

    /// <summary>Reads a cursor made by <see cref="Encode"/>; false for anything else.</summary>
    public static bool TryDecode(string? cursor, out CommitPosition position)
    {
        position = Start;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > 100)
        {
            return false;
        }

        string text;
        try
        {
            text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            return false;
        }

        var parts = text.StartsWith(Prefix, StringComparison.Ordinal) ? text[Prefix.Length..].Split('.') : [];
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var transaction)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        position = new CommitPosition(transaction, number);
        return true;
    }
}
