namespace BudgetCluster.Silo.Admin.Gateways;

/// <summary>A newly issued gateway certificate with its private key; the key is not kept by the cluster.</summary>
public sealed record CertificateView(string DpId, string CertificatePem, string PrivateKeyPem, string CaPem, string ExpiresAt);
