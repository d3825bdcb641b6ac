using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Bench;

/// <summary>
/// One simulated AISIX gateway: HTTPS to the data plane with its own client certificate, trusting
/// only the cluster's CA. Each gateway has its own connection pool, as separate hosts would.
/// </summary>
internal sealed class Gateway : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient _http;
    private readonly int _connections;

    public Gateway(Uri dataPlane, X509Certificate2 certificate, X509Certificate2 ca, string dpId, int connections = 4)
    {
        DpId = dpId;
        Certificate = certificate;
        Ca = ca;
        _connections = connections;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, presented, _, _) => GatewayTrust.ChainsTo(presented, ca),
            },
        };
        _http = new HttpClient(handler) { BaseAddress = dataPlane, Timeout = TimeSpan.FromSeconds(60) };
    }

    public string DpId { get; }

    public X509Certificate2 Certificate { get; }

    /// <summary>The cluster's CA: it issued <see cref="Certificate"/> and the server certificate this gateway trusts.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The same gateway (certificate, connections) posting to another server that <paramref name="trust"/> vouches for.</summary>
    public Gateway Toward(Uri server, X509Certificate2 trust) => new(server, Certificate, trust, DpId, _connections);

    /// <summary>Posts one telemetry batch; returns the status code and the answer.</summary>
    public async Task<(int Status, string Body)> PostTelemetryAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        using var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = Json;
        using var response = await _http.PostAsync("/dp/telemetry", content, cancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    public async Task<(int Status, string Body)> BudgetCheckAsync(string apiKeyId, CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync("/dp/budget_check?api_key_id=" + Uri.EscapeDataString(apiKeyId), cancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Opens the push subscription; the caller reads the SSE stream.</summary>
    public async Task<Stream> SubscribeAsync(CancellationToken cancellationToken)
    {
        var response = await _http.GetAsync("/dp/budget_events", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    public void Dispose() => _http.Dispose();
}
