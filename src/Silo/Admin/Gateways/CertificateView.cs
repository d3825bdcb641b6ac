namespace BudgetCluster.Silo.Admin.Gateways;

/// <summary>
/// A newly issued gateway certificate with its private key; the key is not kept by the cluster.
/// <c>serial</c> (beyond API.md's fields) is what <c>DELETE …/gateway-certificates/{serial}</c> revokes.
/// </summary>
public sealed record CertificateView(string DpId, string CertificatePem, string PrivateKeyPem, string CaPem, string ExpiresAt, string Serial);
