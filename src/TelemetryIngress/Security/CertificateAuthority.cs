using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.TelemetryIngress.Security;

/// <summary>
/// The cluster's certificate authority: issues gateway client certificates (URI SANs
/// <c>x-aisix://env/…</c> and <c>x-aisix://dp/…</c>) and the data plane's server certificate,
/// and verifies client certificates against itself. Keys are ECDSA P-256. Every chain it builds,
/// and the one the TLS handshake builds (<see cref="HandshakeChainPolicy"/>), trusts this CA alone
/// and never downloads a certificate: a client's certificate cannot make the cluster fetch a URL.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string SubjectAltNameOid = "2.5.29.17";

    /// <summary>Refused certificates remembered at most; past it the memory starts again.</summary>
    private const int MaxRefused = 10_000;

    /// <summary>How long a refusal is remembered: a certificate not valid yet may become valid.</summary>
    private static readonly TimeSpan RefusedFor = TimeSpan.FromMinutes(1);

    /// <summary>How long a start waits for another process creating the PKI files on the same directory.</summary>
    private static readonly TimeSpan PkiLockTimeout = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time;
    private readonly ConditionalWeakTable<X509Certificate2, AcceptedCheck> _accepted = new();
    private readonly ConcurrentDictionary<string, AcceptedCheck> _refused = new(StringComparer.Ordinal);
    private long _evaluations;

    private CertificateAuthority(X509Certificate2 certificate, TimeProvider time)
    {
        Certificate = certificate;
        _time = time;
    }

    /// <summary>The CA certificate; carries its private key when this process may issue.</summary>
    public X509Certificate2 Certificate { get; }

    public string CertificatePem => Certificate.ExportCertificatePem();

    /// <summary>
    /// Loads the CA named by <paramref name="options"/>, or, when none is configured, the one under
    /// <c>{dataDirectory}/pki/</c>, creating it there on first start (key readable by the owner only).
    /// </summary>
    public static CertificateAuthority LoadOrCreate(DataPlaneOptions options, string dataDirectory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.CaCertificatePath is null && options.CaKeyPath is not null)
        {
            throw new InvalidOperationException("DataPlane:CaKeyPath is set without DataPlane:CaCertificatePath; set both or neither.");
        }

        if (options.CaCertificatePath is { } configured)
        {
            var certificate = options.CaKeyPath is { } keyPath
                ? X509Certificate2.CreateFromPemFile(configured, keyPath)
                : X509Certificate2.CreateFromPem(File.ReadAllText(configured));
            return new CertificateAuthority(certificate, time);
        }

        var pki = Path.Combine(dataDirectory, "pki");
        var certPath = Path.Combine(pki, "ca.crt.pem");
        var keyPathDefault = Path.Combine(pki, "ca.key.pem");
        // Two processes starting on an empty directory must not each write half of a pair.
        using var locked = PrivateFiles.LockDirectory(pki, PkiLockTimeout);
        if (File.Exists(certPath) && File.Exists(keyPathDefault))
        {
            return new CertificateAuthority(X509Certificate2.CreateFromPemFile(certPath, keyPathDefault), time);
        }

        if (File.Exists(certPath) || File.Exists(keyPathDefault))
        {
            // A new CA would silently invalidate every gateway certificate: make someone look first.
            throw new InvalidOperationException(
                $"Only one of {certPath} and {keyPathDefault} exists. Restore the missing file, or remove both to create a new CA (every gateway then needs a new certificate).");
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=BudgetCluster gateway CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        PrivateFiles.WriteAtomically(keyPathDefault, key.ExportPkcs8PrivateKeyPem(), ownerOnly: true);
        PrivateFiles.WriteAtomically(certPath, created.ExportCertificatePem(), ownerOnly: false);
        return new CertificateAuthority(created, time);
    }

    /// <summary>
    /// The CA as an ingress process holds it: the certificate only, to verify gateway certificates.
    /// It never creates a CA and refuses a configured CA key, so a compromised ingress cannot issue
    /// gateway certificates. The certificate is <c>DataPlane:CaCertificatePath</c>, or the one a silo
    /// created under <c>{dataDirectory}/pki/</c>.
    /// </summary>
    public static CertificateAuthority LoadForVerification(DataPlaneOptions options, string dataDirectory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.CaKeyPath is not null)
        {
            throw new InvalidOperationException(
                "DataPlane:CaKeyPath is set, but an ingress verifies gateway certificates with the CA certificate alone and never holds the CA key. Remove it: the silos issue certificates.");
        }

        var path = options.CaCertificatePath ?? Path.Combine(dataDirectory, "pki", "ca.crt.pem");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"There is no CA certificate at {path}. Start a silo on this data directory first (it creates the CA), or set DataPlane:CaCertificatePath to a copy of the silos' CA certificate.");
        }

        // CreateFromPem reads the certificate only, even from a file that also holds a key.
        return new CertificateAuthority(X509Certificate2.CreateFromPem(File.ReadAllText(path)), time);
    }

    /// <summary>
    /// The server certificate as an ingress process holds it: the configured one, or the one a silo
    /// created under <c>{dataDirectory}/pki/</c> (an ingress cannot sign one). It must chain to this CA.
    /// </summary>
    public X509Certificate2 LoadServerCertificate(DataPlaneOptions options, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ServerCertificatePath is { } configured)
        {
            return X509Certificate2.CreateFromPemFile(configured, options.ServerKeyPath);
        }

        var (_, certPath, keyPath) = ServerFiles(dataDirectory);
        if (!File.Exists(certPath) || !File.Exists(keyPath))
        {
            throw new InvalidOperationException(
                $"There is no server certificate at {certPath} and {keyPath}. Start a silo on this data directory first (it creates them), or set DataPlane:ServerCertificatePath and DataPlane:ServerKeyPath.");
        }

        var loaded = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        if (!IssuedByThisCa(loaded))
        {
            loaded.Dispose();
            throw new InvalidOperationException(
                $"The server certificate at {certPath} was not issued by the CA this ingress trusts. Start a silo on this data directory to issue a new one, or point DataPlane:CaCertificatePath at the CA that issued it.");
        }

        return loaded;
    }

    /// <summary>
    /// The data plane's server certificate: the configured one, or one under <c>{dataDirectory}/pki/</c>
    /// signed by this CA for <c>localhost</c> and <c>127.0.0.1</c>, renewed when it has under 30 days left.
    /// </summary>
    public X509Certificate2 LoadOrCreateServerCertificate(DataPlaneOptions options, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ServerCertificatePath is { } configured)
        {
            return X509Certificate2.CreateFromPemFile(configured, options.ServerKeyPath);
        }

        var (pki, certPath, keyPath) = ServerFiles(dataDirectory);
        var now = _time.GetUtcNow();
        using var locked = PrivateFiles.LockDirectory(pki, PkiLockTimeout);
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            var existing = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            if (existing.NotAfter.ToUniversalTime() > now.UtcDateTime.AddDays(30) && IssuedByThisCa(existing))
            {
                return existing;
            }

            existing.Dispose();
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid)], false));
        using var issued = request.Create(Certificate, now.AddMinutes(-5), Min(now.AddYears(1), Certificate.NotAfter), NewSerial());
        var withKey = issued.CopyWithPrivateKey(key);
        PrivateFiles.WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem(), ownerOnly: true);
        PrivateFiles.WriteAtomically(certPath, withKey.ExportCertificatePem(), ownerOnly: false);
        return withKey;
    }

    /// <summary>How many certificates were judged by building their chain (not answered from memory).</summary>
    public long Evaluations => Interlocked.Read(ref _evaluations);

    /// <summary>
    /// The chain policy of the data plane's TLS handshake: this CA as the only root, no downloads
    /// (an attacker's certificate could otherwise point the handshake at any URL through its AIA
    /// extension), no revocation lookups. The handshake accepts whatever it builds;
    /// <see cref="Check"/> then judges the certificate and says why it refuses one.
    /// </summary>
    public X509ChainPolicy HandshakeChainPolicy() => CaOnlyTrust.Policy(Certificate);

    /// <summary>Whether this process holds the CA's private key and so can issue certificates.</summary>
    public bool CanIssue => Certificate.HasPrivateKey;

    /// <summary>Issues a client certificate for gateway <paramref name="dpId"/> of <paramref name="environmentId"/>.</summary>
    public IssuedCertificate IssueGatewayCertificate(string environmentId, string dpId, TimeSpan validity)
    {
        if (!CanIssue)
        {
            throw new InvalidOperationException("The configured CA has no private key (DataPlane:CaKeyPath), so it cannot issue certificates.");
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dpId}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(GatewayIdentity.EnvironmentSanPrefix + environmentId));
        names.AddUri(new Uri(GatewayIdentity.DataPlaneSanPrefix + dpId));
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuthOid)], false));
        var now = _time.GetUtcNow();
        var notAfter = Min(now + validity, Certificate.NotAfter);
        using var issued = request.Create(Certificate, now.AddMinutes(-5), notAfter, NewSerial());
        // X.509 keeps whole seconds: report the expiry the certificate really has.
        return new IssuedCertificate(
            SerialOf(issued),
            new DateTimeOffset(issued.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            dpId, issued.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), CertificatePem,
            new DateTimeOffset(issued.NotAfter.ToUniversalTime(), TimeSpan.Zero));
    }

    /// <summary>
    /// Verifies a client certificate: issued by this CA, valid now, for client authentication,
    /// carrying both gateway SANs with valid ids.
    /// </summary>
    public CertificateCheck Check(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return Evaluate(null);
        }

        // A connection presents the same certificate object on every request: building its chain
        // once per connection, not per request, took budget_check from ~300 to ~100 µs of CPU.
        // Nothing but time changes an accepted certificate's verdict (there is no revocation).
        var now = _time.GetUtcNow();
        if (_accepted.TryGetValue(certificate, out var known) && now < known.Until)
        {
            return known.Check;
        }

        // A refused certificate can come back on connection after connection (each a new object):
        // it is judged once a minute at most, by its SHA-256, so refusing it costs a hash.
        var thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        if (_refused.TryGetValue(thumbprint, out var refused) && now < refused.Until)
        {
            return refused.Check;
        }

        Interlocked.Increment(ref _evaluations);
        var check = Evaluate(certificate);
        if (check.Identity is not null)
        {
            _accepted.AddOrUpdate(certificate, new AcceptedCheck(check, certificate.NotAfter.ToUniversalTime()));
            return check;
        }

        if (_refused.Count >= MaxRefused)
        {
            _refused.Clear();
        }

        _refused[thumbprint] = new AcceptedCheck(check, now + RefusedFor);
        return check;
    }

    private CertificateCheck Evaluate(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return CertificateCheck.Unauthenticated("a client certificate issued by this cluster's CA is required");
        }

        using (var chain = NewChain(ClientAuthOid))
        {
            if (!chain.Build(certificate))
            {
                var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
                return flags.HasFlag(X509ChainStatusFlags.NotTimeValid)
                    ? CertificateCheck.Unauthenticated(
                        $"the client certificate is not valid now (valid from {certificate.NotBefore.ToUniversalTime():O} to {certificate.NotAfter.ToUniversalTime():O})")
                    : flags.HasFlag(X509ChainStatusFlags.NotValidForUsage)
                        ? NotForClients()
                        : CertificateCheck.Unauthenticated("the client certificate was not issued by this cluster's CA");
            }
        }

        // A certificate without the extension would pass the chain's usage check (no extension
        // means any usage): this CA marks every gateway certificate, so one without is not one.
        if (!certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()
                .Any(extension => extension.EnhancedKeyUsages.Cast<Oid>().Any(usage => usage.Value == ClientAuthOid)))
        {
            return NotForClients();
        }

        var uris = ReadUriNames(certificate);
        var environmentId = SingleWithPrefix(uris, GatewayIdentity.EnvironmentSanPrefix);
        var dpId = SingleWithPrefix(uris, GatewayIdentity.DataPlaneSanPrefix);
        if (environmentId is null)
        {
            return CertificateCheck.Forbidden($"the client certificate has no '{GatewayIdentity.EnvironmentSanPrefix}<environment_id>' URI SAN");
        }

        if (dpId is null)
        {
            return CertificateCheck.Forbidden($"the client certificate has no '{GatewayIdentity.DataPlaneSanPrefix}<dp_id>' URI SAN");
        }

        // The ids become grain keys and log fields: the value is not repeated back, it may hold anything.
        foreach (var (prefix, id) in new[] { (GatewayIdentity.EnvironmentSanPrefix, environmentId), (GatewayIdentity.DataPlaneSanPrefix, dpId) })
        {
            if (!IdRule.IsValid(id))
            {
                return CertificateCheck.Forbidden($"the client certificate's '{prefix}' URI SAN is not a valid id ({IdRule.Description})");
            }
        }

        return CertificateCheck.Accepted(new GatewayIdentity(environmentId, dpId)) with { Serial = SerialOf(certificate) };
    }

    public void Dispose() => Certificate.Dispose();

    private static CertificateCheck NotForClients() =>
        CertificateCheck.Unauthenticated("the client certificate is not for client authentication (it lacks the clientAuth extended key usage)");

    private sealed record AcceptedCheck(CertificateCheck Check, DateTimeOffset Until);

    private bool IssuedByThisCa(X509Certificate2 certificate)
    {
        using var chain = NewChain(ServerAuthOid);
        return chain.Build(certificate);
    }

    /// <summary>Where a silo keeps the server certificate it issued, and where an ingress finds it.</summary>
    private static (string Pki, string Certificate, string Key) ServerFiles(string dataDirectory)
    {
        var pki = Path.Combine(dataDirectory, "pki");
        return (pki, Path.Combine(pki, "server.crt.pem"), Path.Combine(pki, "server.key.pem"));
    }

    /// <summary>A chain that trusts this CA only (<see cref="CaOnlyTrust"/>), as of now, for <paramref name="usage"/> (an extended key usage).</summary>
    private X509Chain NewChain(string usage) => CaOnlyTrust.Chain(Certificate, _time.GetUtcNow(), usage);

    private static string? SingleWithPrefix(List<string> uris, string prefix)
    {
        var matches = uris.Where(uri => uri.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        return matches.Count == 1 && matches[0].Length > prefix.Length ? matches[0][prefix.Length..] : null;
    }

    /// <summary>The uniformResourceIdentifier [6] entries of the subjectAltName extension.</summary>
    private static List<string> ReadUriNames(X509Certificate2 certificate)
    {
        var uris = new List<string>();
        var extension = certificate.Extensions[SubjectAltNameOid];
        if (extension is null)
        {
            return uris;
        }

        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
            while (reader.HasData)
            {
                if (reader.PeekTag().HasSameClassAndValue(uriTag))
                {
                    uris.Add(reader.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
                }
                else
                {
                    reader.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            uris.Clear();
        }

        return uris;
    }

    /// <summary>A certificate's serial number as the admin API names it: lowercase hex, most significant byte first.</summary>
    public static string SerialOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.SerialNumber.ToLowerInvariant();
    }

    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTime b)
    {
        var other = new DateTimeOffset(b.ToUniversalTime(), TimeSpan.Zero);
        return a < other ? a : other;
    }
}
