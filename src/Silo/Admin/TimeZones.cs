namespace BudgetCluster.Silo.Admin;

/// <summary>Time zones as the admin API takes them: IANA names only.</summary>
public static class TimeZones
{
    /// <summary>The IANA zone named <paramref name="name"/>; false for anything else, a Windows name ("Pacific Standard Time") too.</summary>
    public static bool TryFindIana(string name, out TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(name);
        // The system also resolves Windows names, which are not IANA names.
        var windowsOnly = TimeZoneInfo.TryConvertWindowsIdToIanaId(name, out _) && !TimeZoneInfo.TryConvertIanaIdToWindowsId(name, out _);
        if (windowsOnly || !TimeZoneInfo.TryFindSystemTimeZoneById(name, out var found))
        {
            zone = TimeZoneInfo.Utc;
            return false;
        }

        zone = found;
        return true;
    }
}
