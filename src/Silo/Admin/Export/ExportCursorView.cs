namespace BudgetCluster.Silo.Admin.Export;

/// <summary>The last line of an NDJSON export page: where the next one starts.</summary>
public sealed record ExportCursorView(string NextCursor, bool HasMore);
