namespace BudgetCluster.Silo.Admin.Export;

/// <summary>The JSON answer of the export: a page of events and where the next one starts.</summary>
public sealed record ExportPageView(IReadOnlyList<ExportEventView> Events, string NextCursor, bool HasMore);
