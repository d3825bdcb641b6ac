namespace BudgetCluster.TestSupport;

/// <summary>The programs and files of this checkout, the programs built in the same configuration (Debug or Release) as the caller.</summary>
public static class RepositoryPrograms
{
    /// <summary>The checkout's root: the folder of <c>Orleans.sln</c> above the running tests.</summary>
    public static string Root
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Orleans.sln")))
            {
                root = root.Parent;
            }

            return root?.FullName ?? throw new DirectoryNotFoundException("no Orleans.sln above " + AppContext.BaseDirectory);
        }
    }

    /// <summary><c>{repository}/{folder}/{project}/bin/{configuration}/{framework}/{assembly}</c>, which must exist.</summary>
    public static string PathOf(string folder, string project, string assembly)
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        var path = Path.Combine(Root, folder, project, "bin", configuration, framework, assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: the program is not at " + path);
    }
}
