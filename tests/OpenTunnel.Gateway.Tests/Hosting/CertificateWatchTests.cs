using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Connections;
using OpenTunnel.Gateway.Hosting;
using OpenTunnel.Gateway.Tls;

namespace OpenTunnel.Gateway.Tests.Hosting;

/// <summary>The gateway's watch over its certificate: warnings days before, errors after, and the self-signed one renewed instead.</summary>
[Trait("Category", "Unit")]
public sealed class CertificateWatchTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Directory.CreateTempSubdirectory("ot-certificate-watch-").FullName;
    private readonly FakeTimeProvider _time = new(Start);
    private readonly FakeLogger _logger = new();
    private readonly List<string> _applied = [];
    private RunningConfiguration _running = null!;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ConfiguredCertificate_WithinTheWarningDays_WarnsOncePerDay_DegradedHealth_ThenErrorsHourlyOnceExpired()
    {
        CertificateWatch watch = Watch(ConfiguredOptions(Start.AddDays(20)));

        watch.Check();
        _time.Advance(TimeSpan.FromHours(23));
        watch.Check();
        HealthCheckResult health = await watch.CheckHealthAsync(new HealthCheckContext());
        _time.Advance(TimeSpan.FromHours(1));
        watch.Check();

        Assert.Equal([109, 109], _logger.Collector.GetSnapshot().Select(r => r.Id.Id));
        Assert.Equal(LogLevel.Warning, _logger.LatestRecord.Level);
        Assert.Contains("expires 2026-12-23T12:00:00Z, in 19 days (Tls:ExpiryWarningDays 30)", _logger.LatestRecord.Message, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Equal("expires 2026-12-23T12:00:00Z, in 19 days", health.Description);

        _logger.Collector.Clear();
        _time.Advance(TimeSpan.FromDays(20));
        watch.Check();
        _time.Advance(TimeSpan.FromMinutes(59));
        watch.Check();
        _time.Advance(TimeSpan.FromMinutes(1));
        watch.Check();
        HealthCheckResult expired = await watch.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal([110, 110], _logger.Collector.GetSnapshot().Select(r => r.Id.Id));
        Assert.Equal(LogLevel.Error, _logger.LatestRecord.Level);
        Assert.Contains("is expired 2026-12-23T12:00:00Z: clients that check it refuse to connect", _logger.LatestRecord.Message, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Degraded, expired.Status);
        Assert.Empty(_applied);
    }

    [Fact]
    public async Task ConfiguredCertificate_FarFromItsEnd_IsHealthy_AndNothingIsLogged()
    {
        CertificateWatch watch = Watch(ConfiguredOptions(Start.AddDays(90)));

        watch.Check();

        Assert.Equal(HealthStatus.Healthy, (await watch.CheckHealthAsync(new HealthCheckContext())).Status);
        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    [Fact]
    public async Task SelfSigned_WithinTheWarningDays_IsRenewedThroughApply_ThePinStays_AndHealthIsBack()
    {
        var options = new GatewayOptions { DataDirectory = _directory };
        ServerCertificate made = ServerCertificate.Load(options.Tls, _directory, Start - ServerCertificate.SelfSignedLifetime + TimeSpan.FromDays(10));
        // As a gateway that has run since before the certificate came within the warning days.
        CertificateWatch watch = Watch(options, renewAtStart: false);
        HealthCheckResult before = await watch.CheckHealthAsync(new HealthCheckContext());

        watch.Check();
        watch.Check();

        Assert.Equal(HealthStatus.Degraded, before.Status);
        Assert.Equal(["the self-signed certificate's renewal"], _applied);
        Assert.Equal(made.Pin, _running.Certificate.Pin);
        Assert.Equal(made.NotAfter, _running.Certificate.RenewedFrom);
        Assert.Equal(HealthStatus.Healthy, (await watch.CheckHealthAsync(new HealthCheckContext())).Status);
        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    private CertificateWatch Watch(GatewayOptions options, bool renewAtStart = true)
    {
        _running = Running(options, renewAtStart);
        var configuration = new Current(() => _running);
        return new CertificateWatch(configuration, (next, origin) =>
        {
            _applied.Add(origin);
            _running = Running(next);
            return _running;
        }, _time, _logger);
    }

    // The watch reads only the certificate and the Tls settings; no token is validated here.
    private RunningConfiguration Running(GatewayOptions options, bool renew = true) =>
        new(options, TunnelSettings.From(options), ServerCertificate.Load(options.Tls, options.DataDirectory, _time.GetUtcNow(), renew), NoTokens.Instance, "test", _time.GetUtcNow());

    /// <summary>Settings naming a PEM certificate (with its key) valid from a day before the start until <paramref name="notAfter"/>.</summary>
    private GatewayOptions ConfiguredOptions(DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=vpn.example.test", key, HashAlgorithmName.SHA256);
        using X509Certificate2 certificate = request.CreateSelfSigned(Start.AddDays(-1), notAfter);
        string path = Path.Combine(_directory, "operator.pem");
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        return new GatewayOptions { DataDirectory = _directory, Tls = new TlsOptions { CertificateFile = path } };
    }

    private sealed class Current(Func<RunningConfiguration> current) : IRunningConfiguration
    {
        RunningConfiguration IRunningConfiguration.Current => current();
    }

    private sealed class NoTokens : IAccessTokenValidator
    {
        public static readonly NoTokens Instance = new();

        public ValueTask<TokenValidationOutcome> ValidateAsync(string token, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The certificate watch validates no token.");
    }
}
