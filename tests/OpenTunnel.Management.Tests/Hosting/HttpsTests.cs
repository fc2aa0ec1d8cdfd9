using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Testing;
using OpenTunnel.Trust;

namespace OpenTunnel.Management.Tests.Hosting;

/// <summary>
/// The real executable serving HTTPS on 127.0.0.1 with real TLS: the default certificate from the
/// deployment's CA with its pin printed and stored, HSTS, an operator certificate replaced on disk
/// while it runs, one in a PKCS#12 file, and the plain http addresses it refuses to start with.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HttpsTests : IDisposable
{
    private static readonly string Service = Path.Combine(AppContext.BaseDirectory, "opentunnel-management.dll");
    private readonly TemporaryDirectory _directory = new();

    private string Data => _directory.Subdirectory("data");

    [Fact]
    public async Task DefaultCertificate_IssuedByTheDeploymentCa_PinPrintedAndStored_AnswersCarryHsts()
    {
        int port = LoopbackPorts.Free();
        using TrackedProcess service = Start($"https://127.0.0.1:{port}");
        await service.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));

        string pin = File.ReadAllText(Path.Combine(Data, "ca-pin")).Trim();
        Assert.True(CertificatePins.IsWellFormed(pin), pin);
        Assert.Contains($"--ca-pin {pin}", service.Output, StringComparison.Ordinal);
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(Data, "agent-ca.pem")));
        Assert.Equal(CertificatePins.Of(ca), pin);

        using var client = new HttpClient(DeploymentTrust.FromPin(pin, "--ca-pin").CreateHandler());
        using HttpResponseMessage answer = await client.GetAsync(new Uri($"https://127.0.0.1:{port}/healthz"));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("max-age=31536000", string.Join(",", answer.Headers.GetValues("Strict-Transport-Security")));

        using X509Certificate2 served = await PresentedAsync(port);
        Assert.Contains(served.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses(), a => a.Equals(IPAddress.Loopback));
        Assert.Contains(served.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames(), n => n == Dns.GetHostName());
    }

    [Fact]
    public async Task OperatorCertificate_ReplacedOnDisk_IsServedOnTheNextConnection_AndAnUnusableReplacementIsNot()
    {
        int port = LoopbackPorts.Free();
        string file = _directory.File("tls.pem");
        string first = WriteSelfSigned(file, "CN=first.example");
        using TrackedProcess service = Start($"https://127.0.0.1:{port}", new Dictionary<string, string> { ["Management__Https__CertificateFile"] = file });
        await service.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));
        using (X509Certificate2 served = await PresentedAsync(port))
        {
            Assert.Equal(first, served.Thumbprint);
        }

        string second = WriteSelfSigned(file, "CN=second.example");
        using (X509Certificate2 served = await PresentedAsync(port))
        {
            Assert.Equal(second, served.Thumbprint);
        }

        File.WriteAllText(file, "-----BEGIN CERTIFICATE-----\nhalf written");
        using (X509Certificate2 served = await PresentedAsync(port))
        {
            Assert.Equal(second, served.Thumbprint);
        }

        await service.WaitForOutputAsync($"Management:Https:CertificateFile '{file}' cannot be used", TimeSpan.FromSeconds(10));
        Assert.Contains("still serving 'CN=second.example'", service.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OperatorCertificate_Pkcs12WithItsPasswordInAFile_IsServed()
    {
        int port = LoopbackPorts.Free();
        string file = _directory.File("tls.pfx");
        string passwordFile = _directory.File("tls.password");
        File.WriteAllText(passwordFile, "pfx password\n");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 certificate = new CertificateRequest("CN=pfx.example", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllBytes(file, certificate.Export(X509ContentType.Pkcs12, "pfx password"));

        using TrackedProcess service = Start($"https://127.0.0.1:{port}", new Dictionary<string, string>
        {
            ["Management__Https__CertificateFile"] = file,
            ["Management__Https__PasswordFile"] = passwordFile,
        });
        await service.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));

        using X509Certificate2 served = await PresentedAsync(port);
        Assert.Equal(certificate.Thumbprint, served.Thumbprint);
    }

    [Fact]
    public async Task OperatorCertificate_Unusable_StopsTheStartNamingTheSetting()
    {
        string file = _directory.File("tls.pem");
        File.WriteAllText(file, "not a certificate");
        using TrackedProcess service = Start($"https://127.0.0.1:{LoopbackPorts.Free()}", new Dictionary<string, string> { ["Management__Https__CertificateFile"] = file });

        Assert.NotEqual(0, await service.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"Management:Https:CertificateFile '{file}' cannot be used", service.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0", "plain http is served only on loopback")]
    [InlineData("198.18.0.1", "plain http is served only on loopback")]
    [InlineData("127.0.0.1", "needs Management:Https:AllowLoopbackHttp=true")]
    public async Task PlainHttp_NotOnLoopbackOrNotAskedFor_RefusedAtStartNamingTheUrl(string address, string reason)
    {
        string url = string.Create(CultureInfo.InvariantCulture, $"http://{address}:{LoopbackPorts.Free()}");
        using TrackedProcess service = Start(url);

        Assert.NotEqual(0, await service.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"Refusing to listen on {url}: ", service.Output, StringComparison.Ordinal);
        Assert.Contains(reason, service.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Data, "admin-api-key")), "the refused service started anyway");
    }

    public void Dispose() => _directory.Dispose();

    private TrackedProcess Start(string url, Dictionary<string, string>? environment = null)
    {
        var variables = new Dictionary<string, string>(environment ?? []) { ["Management__DataDirectory"] = Data, ["Management__Agents__Listen"] = string.Empty };
        return TrackedProcess.Start("dotnet", [Service, "serve", "--urls", url], environment: variables);
    }

    /// <summary>The certificate a new TLS connection to 127.0.0.1:<paramref name="port"/> is shown.</summary>
    private static async Task<X509Certificate2> PresentedAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        X509Certificate2? seen = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
        {
            seen = X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
            return true;
        });
        await tls.AuthenticateAsClientAsync("127.0.0.1");
        return seen!;
    }

    /// <summary>Writes a self-signed certificate and its key to one PEM file; returns its thumbprint.</summary>
    private static string WriteSelfSigned(string path, string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string temporary = path + ".new";
        File.WriteAllText(temporary, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        File.Move(temporary, path, overwrite: true);
        return certificate.Thumbprint;
    }
}
