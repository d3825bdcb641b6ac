namespace BudgetCluster.Silo.Admin.Gateways;

/// <summary>One issued gateway certificate in <c>GET …/gateway-certificates</c>; <c>revoked_at</c> is null while it is not revoked.</summary>
public sealed record CertificateListItemView(string Serial, string DpId, string NotBefore, string ExpiresAt, string? RevokedAt);
