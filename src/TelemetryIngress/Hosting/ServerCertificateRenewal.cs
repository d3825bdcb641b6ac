using System.Security.Cryptography;
using BudgetCluster.TelemetryIngress.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// Every <see cref="DataPlaneOptions.ServerCertificateCheckInterval"/>, has the data plane's
/// <see cref="ServerCertificateSource"/> load its certificate again, so a renewed one reaches new
/// connections without a restart. A failed load keeps the certificate being served and is logged
/// as an error with what is still served and until when.
/// </summary>
internal sealed partial class ServerCertificateRenewal(
    DataPlaneTls tls,
    IOptions<DataPlaneOptions> options,
    TimeProvider time,
    ILogger<ServerCertificateRenewal> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ServerCertificateCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Renew(tls.ServerCertificate);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Renew(ServerCertificateSource source)
    {
        try
        {
            if (source.Refresh() is { } previous)
            {
                var current = source.Current;
                LogRenewed(logger, previous.SerialNumber, previous.NotAfter.ToUniversalTime(), current.SerialNumber, current.NotAfter.ToUniversalTime());
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or CryptographicException or InvalidOperationException)
        {
            LogRenewalFailed(logger, error, source.Current.SerialNumber, source.Current.NotAfter.ToUniversalTime());
        }
    }

    [LoggerMessage(4301, LogLevel.Information,
        "Data plane server certificate {PreviousSerial} (valid until {PreviousNotAfter:u}) replaced by {Serial} (valid until {NotAfter:u}) for new connections")]
    private static partial void LogRenewed(ILogger logger, string previousSerial, DateTime previousNotAfter, string serial, DateTime notAfter);

    [LoggerMessage(4302, LogLevel.Error, "Could not load the data plane server certificate again; still serving {Serial} (valid until {NotAfter:u})")]
    private static partial void LogRenewalFailed(ILogger logger, Exception exception, string serial, DateTime notAfter);
}
