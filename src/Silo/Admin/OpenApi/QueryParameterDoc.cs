namespace BudgetCluster.Silo.Admin.OpenApi;

/// <summary>
/// A query parameter a handler reads from the request itself (so that a bad value gets our own 400,
/// not the framework's): endpoint metadata that <see cref="AdminOpenApi"/> writes into the document.
/// </summary>
/// <param name="Name">The parameter's name on the wire.</param>
/// <param name="Description">What it does, its format and default.</param>
/// <param name="Required">Whether a request without it is refused.</param>
/// <param name="Numeric">An integer rather than a string.</param>
/// <param name="Repeatable">May be given more than once (<c>group_by=model&amp;group_by=api_key</c>).</param>
public sealed record QueryParameterDoc(string Name, string Description, bool Required = false, bool Numeric = false, bool Repeatable = false);
