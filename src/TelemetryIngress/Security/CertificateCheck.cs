namespace BudgetCluster.TelemetryIngress.Security;

/// <summary>The verdict on a client certificate: an identity, or the HTTP status and reason for refusing it.</summary>
public sealed record CertificateCheck(GatewayIdentity? Identity, int StatusCode, string? Error)
{
    /// <summary>The accepted certificate's serial (lowercase hex), which revocation names.</summary>
    public string? Serial { get; init; }

    public static CertificateCheck Accepted(GatewayIdentity identity) => new(identity, 200, null);

    public static CertificateCheck Unauthenticated(string error) => new(null, 401, error);

    public static CertificateCheck Forbidden(string error) => new(null, 403, error);
}
