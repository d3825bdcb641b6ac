using System.Globalization;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Budgets;

namespace BudgetCluster.Grains.Billing;

/// <summary>
/// A statement's calendar month (API.md §8), written <c>YYYY-MM</c>; its instants come from a time
/// zone by the same calendar as monthly budgets (<see cref="PeriodCalendar"/>), so a statement and a
/// monthly budget in the same zone always cover the same instants.
/// </summary>
public readonly record struct StatementPeriod(int Year, int Month) : IComparable<StatementPeriod>
{
    /// <summary>The years a statement may be of: those of the usage views (whole-minute offsets in every zone).</summary>
    public const int FirstYear = 1972;

    public const int LastYear = 9998;

    public StatementPeriod Next => Month == 12 ? new(Year + 1, 1) : new(Year, Month + 1);

    public StatementPeriod Previous => Month == 1 ? new(Year - 1, 12) : new(Year, Month - 1);

    /// <summary>The period <paramref name="months"/> after this one (before it when negative).</summary>
    public StatementPeriod Plus(int months)
    {
        var index = (Year * 12) + Month - 1 + months;
        return new StatementPeriod(index / 12, (index % 12) + 1);
    }

    /// <summary>Exactly <c>YYYY-MM</c>: four digits, a hyphen, a month 01 to 12, a year from <see cref="FirstYear"/> to <see cref="LastYear"/>.</summary>
    public static bool TryParse(string? text, out StatementPeriod period)
    {
        period = default;
        if (text is not { Length: 7 } || text[4] != '-' || !text.Remove(4, 1).All(char.IsAsciiDigit))
        {
            return false;
        }

        var year = int.Parse(text.AsSpan(0, 4), CultureInfo.InvariantCulture);
        var month = int.Parse(text.AsSpan(5, 2), CultureInfo.InvariantCulture);
        if (year is < FirstYear or > LastYear || month is < 1 or > 12)
        {
            return false;
        }

        period = new StatementPeriod(year, month);
        return true;
    }

    /// <summary>The period that holds <paramref name="instant"/> in <paramref name="zone"/>.</summary>
    public static StatementPeriod Containing(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var window = PeriodCalendar.Containing(instant, BudgetPeriod.Month, zone);
        var local = TimeZoneInfo.ConvertTime(window.Start, zone);
        return new StatementPeriod(local.Year, local.Month);
    }

    /// <summary>From local midnight of the 1st to local midnight of the next month's 1st, in <paramref name="zone"/>.</summary>
    public PeriodWindow Window(TimeZoneInfo zone) => new(
        PeriodCalendar.StartOfDay(new DateOnly(Year, Month, 1), zone),
        PeriodCalendar.StartOfDay(new DateOnly(Next.Year, Next.Month, 1), zone));

    public int CompareTo(StatementPeriod other) => (Year * 12 + Month).CompareTo(other.Year * 12 + other.Month);

    public static bool operator <(StatementPeriod left, StatementPeriod right) => left.CompareTo(right) < 0;

    public static bool operator >(StatementPeriod left, StatementPeriod right) => left.CompareTo(right) > 0;

    public static bool operator <=(StatementPeriod left, StatementPeriod right) => left.CompareTo(right) <= 0;

    public static bool operator >=(StatementPeriod left, StatementPeriod right) => left.CompareTo(right) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Month:D2}");
}
