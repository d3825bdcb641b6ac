namespace BudgetCluster.Silo.Admin.Budgets;

/// <summary>The <c>scope</c> of a budget body.</summary>
public sealed class BudgetScopeBody
{
    public string? Type { get; set; }
    public string? Ref { get; set; }
}
