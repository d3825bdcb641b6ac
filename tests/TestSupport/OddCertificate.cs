using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BudgetCluster.TestSupport;

/// <summary>
/// A certificate made outside the product, to the test's wishes: what a mis-issued or hostile
/// certificate looks like (missing usages, odd SANs, an AIA URL to fetch an issuer from).
/// </summary>
public sealed record OddCertificate
{
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    public string Subject { get; init; } = "CN=odd";

    /// <summary>URI SANs, written as they are (an IA5String each, so a NUL or a '/' stays).</summary>
    public IReadOnlyList<string> Uris { get; init; } = [];

    /// <summary>Extended key usages; null leaves the extension out.</summary>
    public IReadOnlyList<string>? Usages { get; init; } = [ClientAuth];

    /// <summary>An Authority Information Access "CA issuers" URL, where a chain builder may download the issuer.</summary>
    public string? CaIssuersUrl { get; init; }

    /// <summary>Whether it may sign certificates (basic constraints CA).</summary>
    public bool IsAuthority { get; init; }

    public DateTimeOffset NotBefore { get; init; } = TestClock.Now.AddMinutes(-5);

    public DateTimeOffset NotAfter { get; init; } = TestClock.Now.AddDays(1);

    /// <summary>Signed by <paramref name="issuer"/> (which holds its private key), with a key of its own.</summary>
    public X509Certificate2 SignedBy(X509Certificate2 issuer)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Request(key).Create(issuer, NotBefore, NotAfter, RandomNumberGenerator.GetBytes(8));
        return certificate.CopyWithPrivateKey(key);
    }

    /// <summary>Signed by its own key: a root.</summary>
    public X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Request(key).CreateSelfSigned(NotBefore, NotAfter);
    }

    /// <summary>
    /// This certificate, signed by an intermediate of a root nobody trusts, naming in its AIA
    /// extension where the intermediate could be downloaded: what a chain builder that downloads
    /// would fetch. The root and the intermediate are not handed out.
    /// </summary>
    public X509Certificate2 SignedByAnUnknownIntermediateAt(string caIssuersUrl)
    {
        using var root = new OddCertificate { Subject = "CN=elsewhere root", IsAuthority = true, Usages = null, NotAfter = NotAfter.AddDays(10) }.SelfSigned();
        using var intermediate = new OddCertificate { Subject = "CN=elsewhere intermediate", IsAuthority = true, Usages = null, NotAfter = NotAfter.AddDays(5) }
            .SignedBy(root);
        return (this with { CaIssuersUrl = caIssuersUrl }).SignedBy(intermediate);
    }

    private CertificateRequest Request(ECDsa key)
    {
        var request = new CertificateRequest(Subject, key, HashAlgorithmName.SHA256);
        if (Uris.Count > 0)
        {
            var san = new AsnWriter(AsnEncodingRules.DER);
            using (san.PushSequence())
            {
                foreach (var uri in Uris)
                {
                    san.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
                }
            }

            request.CertificateExtensions.Add(new X509Extension("2.5.29.17", san.Encode(), critical: false));
        }

        if (Usages is not null)
        {
            var usages = new OidCollection();
            foreach (var usage in Usages)
            {
                usages.Add(new Oid(usage));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        }

        if (CaIssuersUrl is not null)
        {
            request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(null, [CaIssuersUrl]));
        }

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(IsAuthority, false, 0, true));
        if (IsAuthority)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        }

        return request;
    }
}
