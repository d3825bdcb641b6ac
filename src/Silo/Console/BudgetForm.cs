using System.Globalization;
using System.Text.RegularExpressions;
using BudgetCluster.Silo.Admin.Budgets;

namespace BudgetCluster.Silo.Console;

/// <summary>The console's budget form: the fields of the API's budget body, as a browser posts them (text).</summary>
public sealed partial class BudgetForm
{
    public string? Name { get; set; }
    public string ScopeType { get; set; } = "org";
    public string? ScopeRef { get; set; }
    public string? LimitUsd { get; set; }
    public string Period { get; set; } = "month";
    public string Mode { get; set; } = "hard_stop";
    public string Timezone { get; set; } = "UTC";

    /// <summary>Comma-separated fractions of the limit, e.g. <c>0.5, 0.8</c>.</summary>
    public string? Thresholds { get; set; }

    public static BudgetForm From(BudgetView budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        return new()
        {
            Name = budget.Name,
            ScopeType = budget.Scope.Type,
            ScopeRef = budget.Scope.Ref,
            LimitUsd = budget.LimitUsd,
            Period = budget.Period,
            Mode = budget.Mode,
            Timezone = budget.Timezone,
            Thresholds = string.Join(", ", budget.Thresholds.Select(t => t.ToString(CultureInfo.InvariantCulture))),
        };
    }

    /// <summary>
    /// The API's body for this form, or the field and message that refuse a value the body cannot
    /// even hold (a limit or threshold that is not a number); everything else the API's own check judges.
    /// </summary>
    public (BudgetBody? Body, string? Field, string? Message) ToBody(string orgId)
    {
        if (!TryDecimal(LimitUsd, out var limit))
        {
            return (null, "limit_usd", $"'limit_usd' must be a decimal number of USD such as 25.00 (got '{LimitUsd}')");
        }

        var thresholds = new List<decimal>();
        foreach (var part in (Thresholds ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TryDecimal(part, out var threshold))
            {
                return (null, "thresholds", $"'thresholds' must be fractions of the limit such as 0.5, 0.8 (got '{part}')");
            }

            thresholds.Add(threshold!.Value);
        }

        return (new BudgetBody
        {
            OrgId = orgId,
            Name = Name,
            Scope = new BudgetScopeBody { Type = ScopeType, Ref = ScopeRef },
            LimitUsd = limit,
            Period = Period,
            Mode = Mode,
            Timezone = Timezone,
            Thresholds = thresholds,
        }, null, null);
    }

    /// <summary>The field an API message names first (<c>'limit_usd' must be ...</c> → <c>limit_usd</c>; <c>'scope.ref'</c> → <c>scope.ref</c>).</summary>
    public static string? FieldOf(string? message) =>
        message is not null && QuotedField().Match(message) is { Success: true } match ? match.Groups[1].Value : null;

    private static bool TryDecimal(string? text, out decimal? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (decimal.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }

    [GeneratedRegex(@"'([a-z_]+(?:\.[a-z_]+)?)(?:\[\d+\])?'")]
    private static partial Regex QuotedField();
}
