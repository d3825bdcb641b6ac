using System.Security.Cryptography.X509Certificates;

namespace BudgetCluster.TelemetryIngress.Security;

/// <summary>
/// The data plane's server certificate as new TLS handshakes present it, replaceable while the
/// listener runs (<see cref="Hosting.ServerCertificateRenewal"/> looks again periodically). What
/// loading means is the host's: a silo renews the certificate it issued when it nears its end
/// (<see cref="CertificateAuthority.LoadOrCreateServerCertificate"/>), an ingress re-reads the
/// files the silo renewed, and both re-read a configured pair that an operator replaced.
/// </summary>
public sealed class ServerCertificateSource
{
    private readonly Func<X509Certificate2> _load;
    private readonly Lock _loading = new();
    private X509Certificate2 _current;

    /// <summary>Loads the certificate once now, so a process whose certificate cannot be loaded does not start.</summary>
    public ServerCertificateSource(Func<X509Certificate2> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        _load = load;
        _current = load();
    }

    public X509Certificate2 Current => Volatile.Read(ref _current);

    /// <summary>
    /// Loads the certificate again. Returns the one it replaced when a different one is served from
    /// now on, else null; when loading throws, the current one stays and the exception is the caller's.
    /// </summary>
    public X509Certificate2? Refresh()
    {
        lock (_loading)
        {
            var loaded = _load();
            var previous = Current;
            if (loaded.Thumbprint == previous.Thumbprint)
            {
                loaded.Dispose();
                return null;
            }

            // The previous certificate is not disposed: handshakes in progress may still be using it.
            Volatile.Write(ref _current, loaded);
            return previous;
        }
    }
}
