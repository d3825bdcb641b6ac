using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>
/// What an AISIX gateway does: calls the data plane over HTTPS with its client certificate,
/// trusting only the cluster's CA for the server certificate.
/// </summary>
public sealed class GatewayClient : IDisposable
{
    private readonly HttpClient _http;

    public GatewayClient(Uri dataPlane, X509Certificate2? clientCertificate, X509Certificate2 ca, string environmentId, string dpId)
    {
        EnvironmentId = environmentId;
        DpId = dpId;
        Certificate = clientCertificate;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
                RemoteCertificateValidationCallback = (_, certificate, _, _) => GatewayTrust.ChainsTo(certificate, ca),
            },
        };
        _http = new HttpClient(handler) { BaseAddress = dataPlane, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>A gateway with a certificate the admin API issues for it (<c>POST /environments/{env}/gateway-certificates</c>).</summary>
    public static async Task<GatewayClient> IssueAsync(AdminClient admin, Uri dataPlane, string environmentId, string dpId)
    {
        ArgumentNullException.ThrowIfNull(admin);
        var issued = await admin.PostOkAsync(
            $"/api/v1/environments/{environmentId}/gateway-certificates", new JsonObject { ["dp_id"] = dpId }.ToJsonString());
        return new GatewayClient(
            dataPlane,
            X509Certificate2.CreateFromPem((string)issued["certificate_pem"]!, (string)issued["private_key_pem"]!),
            X509Certificate2.CreateFromPem((string)issued["ca_pem"]!),
            environmentId,
            dpId);
    }

    /// <summary>
    /// Issues a certificate for prod/dp-1 and keeps it in <paramref name="directory"/>, for a test
    /// whose silo process is killed and started again: the restarted one is reached with <see cref="FromFiles"/>.
    /// </summary>
    public static async Task KeepIssuedAsync(AdminClient admin, string directory)
    {
        ArgumentNullException.ThrowIfNull(admin);
        var issued = await admin.PostOkAsync("/api/v1/environments/prod/gateway-certificates", """{"dp_id":"dp-1"}""");
        await File.WriteAllTextAsync(Path.Combine(directory, "gw.crt.pem"), (string)issued["certificate_pem"]!);
        await File.WriteAllTextAsync(Path.Combine(directory, "gw.key.pem"), (string)issued["private_key_pem"]!);
    }

    /// <summary>Gateway prod/dp-1 with the certificate <see cref="KeepIssuedAsync"/> kept and the CA of the silo's data directory.</summary>
    public static GatewayClient FromFiles(Uri dataPlane, string directory)
    {
        var certificate = X509Certificate2.CreateFromPemFile(Path.Combine(directory, "gw.crt.pem"), Path.Combine(directory, "gw.key.pem"));
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(directory, "pki", "ca.crt.pem")));
        return new GatewayClient(dataPlane, certificate, ca, "prod", "dp-1");
    }

    public string EnvironmentId { get; }

    public string DpId { get; }

    /// <summary>The client certificate it presents.</summary>
    public X509Certificate2? Certificate { get; }

    public Task<HttpResponseMessage> PostTelemetryAsync(string json) => PostAsync("/dp/telemetry", json);

    public Task<HttpResponseMessage> PostAsync(string path, string json) =>
        _http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _http.SendAsync(request);

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion) =>
        _http.SendAsync(request, completion);

    public Task<HttpResponseMessage> BudgetCheckAsync(string apiKeyId) =>
        _http.GetAsync("/dp/budget_check?api_key_id=" + Uri.EscapeDataString(apiKeyId));

    /// <summary>Posts and expects 200; returns the parsed answer.</summary>
    public async Task<JsonObject> PostTelemetryOkAsync(string json)
    {
        using var response = await PostTelemetryAsync(json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"telemetry answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public void Dispose() => _http.Dispose();
}
