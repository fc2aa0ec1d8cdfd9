using System.Security.Cryptography;
using OpenTunnel.Client.Tests.Harness;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Testing;
using OpenTunnel.Trust;

namespace OpenTunnel.Client.Tests.Cli;

/// <summary>The management service and its identity provider over HTTPS on 127.0.0.1 with the certificate of the deployment's CA (Identity:RequireHttps on).</summary>
public sealed class HttpsClientFixture : ClientFixture
{
    protected override string ListenUrl => "https://127.0.0.1:0";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Identity:RequireHttps"] = "true" };

    /// <summary>The deployment CA's pin as the service stored it in its data directory.</summary>
    public string Pin => File.ReadAllText(Path.Combine(App.Database.DataDirectory, "ca-pin")).Trim();
}

/// <summary>
/// The client against the provider over real TLS: trusting the deployment's CA by the pin the
/// service printed and stored (kept for the verbs after sign-in), and refusing a server whose CA
/// does not have the pin given, with a message that names it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HttpsSignInTests(HttpsClientFixture fixture) : IClassFixture<HttpsClientFixture>
{
    [Fact]
    public async Task SignInEnrol_OverHttpsWithTheCaPin_SignInKeepsThePinAndEnrolUsesIt()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft");
        using NetworkTopology topology = NetworkTopology.Create();
        TestUser user = await fixture.CreateUserAsync();
        using var client = new ClientUnderTest(fixture, ["ip", "netns", "exec", topology.Client, "nft", "-j", "list", "ruleset"]);
        Assert.StartsWith("https://127.0.0.1:", client.Server, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Success, await client.SignInAsync(user.Name, "--ca-pin", fixture.Pin));
        Assert.Equal(fixture.Pin, client.SignInFile().GetProperty("caPin").GetString());
        Assert.StartsWith("https://127.0.0.1:", client.SignInFile().GetProperty("issuer").GetString(), StringComparison.Ordinal);

        Assert.True(ExitCodes.Success == await client.RunAsync("enrol", "--name", "https-laptop"), client.Errors);
        Assert.Equal("https-laptop", client.State.LoadDevice().Name);
    }

    [Fact]
    public async Task SignIn_WithAnotherCasPin_UnavailableWithAMessageNamingThePin()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string wrong = CertificatePins.Prefix + Convert.ToBase64String(SHA256.HashData(other.ExportSubjectPublicKeyInfo()));
        using var client = new ClientUnderTest(fixture, ["true"]);

        Assert.Equal(ExitCodes.Unavailable, await client.RunAsync("signin", "--server", client.Server, "--ca-pin", wrong));
        Assert.Contains($"The server's HTTPS certificate is not trusted: no CA certificate of the server has the pin {wrong}", client.Errors, StringComparison.Ordinal);
        Assert.Contains($"the CA it serves at /ca.pem has the pin {fixture.Pin}", client.Errors, StringComparison.Ordinal);
        Assert.False(File.Exists(client.State.SignInFile), "a refused sign-in was stored");
    }

    [Fact]
    public async Task SignIn_WithoutPinOrCaFile_TheSystemTrustStoreRefusesTheDeploymentCa()
    {
        using var client = new ClientUnderTest(fixture, ["true"]);

        Assert.Equal(ExitCodes.Unavailable, await client.RunAsync("signin", "--server", client.Server));
        Assert.Contains("Cannot reach", client.Errors, StringComparison.Ordinal);
    }
}
