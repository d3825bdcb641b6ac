using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Budgets;
using Microsoft.AspNetCore.Connections;

namespace BudgetCluster.TelemetryIngress.Security;

/// <summary>
/// This process's open data-plane connections by the serial of their client certificate. When a
/// catalog arrives that lists a serial as revoked, every connection made with it is aborted:
/// keep-alive connections and <c>budget_events</c> streams alike, not only the next request
/// (which <see cref="GatewayAuthentication"/> refuses).
/// </summary>
public sealed class GatewayConnections : IDisposable
{
    private readonly CatalogCache _catalogs;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, ConnectionContext>> _bySerial = new(StringComparer.Ordinal);

    public GatewayConnections(CatalogCache catalogs)
    {
        _catalogs = catalogs;
        _catalogs.Adopted += CloseRevoked;
    }

    /// <summary>Connections open now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _bySerial.Values.Sum(connections => connections.Count);
            }
        }
    }

    /// <summary>Holds <paramref name="connection"/> under <paramref name="serial"/> until the result is disposed (the connection ends).</summary>
    public IDisposable Track(string serial, ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        lock (_gate)
        {
            if (!_bySerial.TryGetValue(serial, out var connections))
            {
                _bySerial[serial] = connections = new(StringComparer.Ordinal);
            }

            connections[connection.ConnectionId] = connection;
        }

        return new Tracked(this, serial, connection.ConnectionId);
    }

    public void Dispose() => _catalogs.Adopted -= CloseRevoked;

    private void CloseRevoked(EnvironmentCatalog catalog)
    {
        var revoked = new List<(string Serial, ConnectionContext Connection)>();
        lock (_gate)
        {
            foreach (var serial in catalog.RevokedCertificates.Keys)
            {
                if (_bySerial.TryGetValue(serial, out var connections))
                {
                    revoked.AddRange(connections.Values.Select(connection => (serial, connection)));
                }
            }
        }

        foreach (var (serial, connection) in revoked)
        {
            connection.Abort(new ConnectionAbortedException($"the client certificate {serial} was revoked"));
        }
    }

    private void Forget(string serial, string connectionId)
    {
        lock (_gate)
        {
            if (_bySerial.TryGetValue(serial, out var connections) && connections.Remove(connectionId) && connections.Count == 0)
            {
                _bySerial.Remove(serial);
            }
        }
    }

    private sealed class Tracked(GatewayConnections owner, string serial, string connectionId) : IDisposable
    {
        public void Dispose() => owner.Forget(serial, connectionId);
    }
}
