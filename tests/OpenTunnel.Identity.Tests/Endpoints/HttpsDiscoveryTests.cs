using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.Identity.Tests.Endpoints;

/// <summary>
/// A gateway's token check against the embedded provider over real HTTPS: discovery and the JWKS
/// fetched trusting the deployment's CA by its file or its pin, and refused, naming the
/// certificate, with the system's trust store or another CA.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HttpsDiscoveryTests(HttpsIdentityFixture fixture) : IClassFixture<HttpsIdentityFixture>
{
    private const string GatewayScope = "openid offline_access opentunnel.gateway";

    [Fact]
    public async Task GatewayValidator_JwksOverHttpsWithTheCaFileOrPin_AcceptsTheProvidersToken()
    {
        string token = await GatewayTokenAsync();
        Assert.StartsWith("https://127.0.0.1:", fixture.Issuer, StringComparison.Ordinal);

        TokenValidationOutcome byFile = await ValidateAsync(token, new AuthOptions { Issuer = fixture.Issuer, Audience = "opentunnel-gateway", CaFile = fixture.CaFile });
        TokenValidationOutcome byPin = await ValidateAsync(token, new AuthOptions { Issuer = fixture.Issuer, Audience = "opentunnel-gateway", CaPin = fixture.CaPin });

        Assert.True(byFile.Succeeded, byFile.Detail);
        Assert.True(byPin.Succeeded, byPin.Detail);
    }

    [Fact]
    public async Task GatewayValidator_AnotherCaFile_RefusedNamingTheCertificate()
    {
        string token = await GatewayTokenAsync();
        using var directory = new TemporaryDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=another CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using X509Certificate2 other = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(directory.File("other-ca.pem"), other.ExportCertificatePem());

        TokenValidationOutcome outcome = await ValidateAsync(token, new AuthOptions { Issuer = fixture.Issuer, Audience = "opentunnel-gateway", CaFile = directory.File("other-ca.pem") });

        Assert.False(outcome.Succeeded);
        Assert.Contains("the issuer's HTTPS certificate is not trusted: the certificate 'CN=OpenTunnel management service, O=OpenTunnel' was not issued by the CA file", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayValidator_SystemTrustStore_RefusesTheDeploymentCa()
    {
        string token = await GatewayTokenAsync();

        TokenValidationOutcome outcome = await ValidateAsync(token, new AuthOptions { Issuer = fixture.Issuer, Audience = "opentunnel-gateway" });

        Assert.False(outcome.Succeeded);
        Assert.Contains("could not get the signing keys", outcome.Detail, StringComparison.Ordinal);
    }

    private static async Task<TokenValidationOutcome> ValidateAsync(string token, AuthOptions options)
    {
        Assert.Empty(options.Validate());
        using JwtAccessTokenValidator validator = JwtAccessTokenValidator.Create(options, NullLoggerFactory.Instance);
        return await validator.ValidateAsync(token, CancellationToken.None);
    }

    private async Task<string> GatewayTokenAsync()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);
        TokenResponse tokens = await fixture.Oidc.DeviceFlowAsync(user.Name, IdentityFixture.Password, GatewayScope, () => new Dictionary<string, string>
        {
            ["device_assertion"] = device.Assertion(fixture.Oidc.TokenEndpoint),
            ["site"] = fixture.SiteName,
        });
        Assert.True(tokens.AccessToken is not null, tokens.Json.ToString());
        return tokens.AccessToken!;
    }
}
