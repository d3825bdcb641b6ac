using System.Reflection;
using System.Text.RegularExpressions;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Operations;

/// <summary>
/// The README's configuration table names every key the code reads: each options class's section
/// and settable properties, and every key read by name (<c>configuration["..."]</c>, connection
/// strings, the hosts' defaults).
/// </summary>
public sealed partial class ConfigurationReferenceTests
{
    [Fact]
    public void EveryKeyTheCodeReads_IsInTheReadmesConfigurationTable()
    {
        var documented = DocumentedKeys();
        var read = OptionsKeys().Concat(KeysReadByName()).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();

        var missing = read.Where(key => !documented.Any(pattern => Covers(pattern, key))).ToList();

        Assert.True(read.Count > 40, $"only {read.Count} keys were found: the scan lost its way");
        Assert.True(missing.Count == 0, "not in the README's configuration table: " + string.Join(", ", missing));
    }

    [Fact]
    public void TheTable_NamesNoKeyTheCodeDoesNotRead()
    {
        var read = OptionsKeys().Concat(KeysReadByName()).ToHashSet(StringComparer.OrdinalIgnoreCase);

        // Keys the frameworks read themselves, documented for what they do here.
        string[] framework = ["AllowedHosts", "Logging:LogLevel:*", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS"];
        var stale = DocumentedKeys().Where(key => !read.Contains(key) && !framework.Contains(key, StringComparer.Ordinal)).ToList();

        Assert.True(stale.Count == 0, "in the README's configuration table but read nowhere: " + string.Join(", ", stale));
    }

    private static bool Covers(string pattern, string key) =>
        pattern.EndsWith(":*", StringComparison.Ordinal)
            ? key.StartsWith(pattern[..^1], StringComparison.OrdinalIgnoreCase)
            : string.Equals(pattern, key, StringComparison.OrdinalIgnoreCase);

    /// <summary>The backticked keys of the first column of the first table under "## Configuration" (the second is of settings fixed in code).</summary>
    private static List<string> DocumentedKeys()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPrograms.Root, "README.md"));
        var section = readme[readme.IndexOf("\n## Configuration", StringComparison.Ordinal)..];
        var table = section.Split('\n').SkipWhile(line => !line.StartsWith('|')).TakeWhile(line => line.StartsWith('|'));
        return [.. table
            .Where(line => line.StartsWith("| `", StringComparison.Ordinal))
            .SelectMany(line => Backticked().Matches(line.Split('|')[1]).Select(match => match.Groups[1].Value))];
    }

    /// <summary><c>Section:Property</c> of every class with a <c>SectionName</c> constant in our assemblies.</summary>
    private static IEnumerable<string> OptionsKeys()
    {
        Assembly[] assemblies =
        [
            typeof(BudgetCluster.Silo.Hosting.SiloHost).Assembly,
            typeof(BudgetCluster.Grains.Budgets.BudgetGrainOptions).Assembly,
            typeof(BudgetCluster.TelemetryIngress.Hosting.DataPlaneOptions).Assembly,
        ];
        foreach (var type in assemblies.SelectMany(assembly => assembly.GetTypes()))
        {
            if (type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is not { IsLiteral: true } field)
            {
                continue;
            }

            var section = (string)field.GetRawConstantValue()!;
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
            {
                yield return $"{section}:{property.Name}";
            }
        }
    }

    /// <summary>Keys our source reads by name: <c>configuration["K"]</c>, <c>GetConnectionString("K")</c>, <c>*Key = "K"</c> constants and the hosts' defaults.</summary>
    private static IEnumerable<string> KeysReadByName()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(RepositoryPrograms.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        foreach (var text in sources.Select(File.ReadAllText))
        {
            foreach (Match match in ReadByName().Matches(text))
            {
                yield return match.Groups["connection"].Success ? "ConnectionStrings:" + match.Groups["connection"].Value : match.Groups["key"].Value;
            }

            foreach (Match defaults in DefaultsBlock().Matches(text))
            {
                foreach (Match key in DefaultKey().Matches(defaults.Groups["body"].Value))
                {
                    yield return key.Groups[1].Value;
                }
            }
        }
    }

    [GeneratedRegex(@"`([A-Za-z_][A-Za-z0-9_:]*\*?)`")]
    private static partial Regex Backticked();

    [GeneratedRegex(@"(?:[Cc]onfiguration\[""(?<key>[^""]+)""\]|GetConnectionString\(""(?<connection>[^""]+)""\)|Key\s*=\s*""(?<key>[A-Za-z]+:[A-Za-z:]+)"")")]
    private static partial Regex ReadByName();

    /// <summary>A host's <c>Defaults = new(...) { ["Key"] = "value", ... };</c> dictionary.</summary>
    [GeneratedRegex(@"Defaults\s*=\s*new\([^)]*\)\s*\{(?<body>.*?)\};", RegexOptions.Singleline)]
    private static partial Regex DefaultsBlock();

    [GeneratedRegex(@"\[""([^""]+)""\]\s*=")]
    private static partial Regex DefaultKey();
}
