namespace BudgetCluster.Grains.Abstractions.Gateways;

/// <summary>The string key of a <see cref="IGatewayGrain"/>: environment and gateway id.</summary>
public static class GatewayKey
{
    /// <summary>Ids never contain '/', which the admin API enforces, so the key splits unambiguously.</summary>
    public static string Format(string environmentId, string dpId) => $"{environmentId}/{dpId}";

    public static (string EnvironmentId, string DpId) Parse(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == key.Length - 1)
        {
            throw new ArgumentException($"'{key}' is not a gateway key of the form env/dp.", nameof(key));
        }

        return (key[..slash], key[(slash + 1)..]);
    }
}
