namespace BudgetCluster.TestSupport;

/// <summary>The programs of this checkout, built in the same configuration (Debug or Release) as the caller.</summary>
public static class RepositoryPrograms
{
    /// <summary><c>{repository}/{folder}/{project}/bin/{configuration}/{framework}/{assembly}</c>, which must exist.</summary>
    public static string PathOf(string folder, string project, string assembly)
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Orleans.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root?.FullName ?? ".", folder, project, "bin", configuration, framework, assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: the program is not at " + path);
    }
}
