using System.Globalization;

namespace BudgetCluster.Silo.Console;

/// <summary>The API's decimal strings shown as money: <c>"0.0048075"</c> → <c>$0.0048075 USD</c>, never through a binary float.</summary>
public static class Money
{
    public static string Format(string usd) =>
        decimal.TryParse(usd, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount)
            ? string.Create(CultureInfo.InvariantCulture, $"{(amount < 0 ? "-" : "")}${Math.Abs(amount):#,0.00##########} USD")
            : usd;

    /// <summary>For a gauge's attributes (HTML needs a plain number).</summary>
    public static string Number(string usd) => usd;
}
