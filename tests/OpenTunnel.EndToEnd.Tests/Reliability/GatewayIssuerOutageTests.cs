using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Testing;
using OpenTunnel.Testing.Tokens;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Reliability;

/// <summary>
/// A gateway that takes its keys from OIDC discovery, restarted while the identity provider is down
/// (docs/reliability.md, "Identity provider unreachable"). The issuer is a Kestrel discovery endpoint
/// on the test's loopback, reached from the gateway namespace through a relay on the same port, so
/// stopping it makes the gateway's fetches fail with a refused connection as a provider that is down
/// does. The gateway is the real process; openconnect signs in with tokens.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayIssuerOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task GatewayRestartedWhileTheIssuerIsDown_AcceptsTokensSignedWithTheSavedKeys_AndFetchesARotatedKeyWhenTheIssuerIsBack()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "openconnect");
        using var directory = new TemporaryDirectory();
        OidcDiscoveryServer? running = await OidcDiscoveryServer.StartAsync();
        try
        {
            OidcDiscoveryServer issuer = running;
            int port = new Uri(issuer.Issuer).Port;
            using var keys = DevelopmentTokenIssuer.CreateOrLoad(directory.Subdirectory("first"), issuer.Issuer, GatewayInstance.Audience, DevelopmentKeyKind.EcP256);
            using var rotated = DevelopmentTokenIssuer.CreateOrLoad(directory.Subdirectory("rotated"), issuer.Issuer, GatewayInstance.Audience, DevelopmentKeyKind.EcP256);
            issuer.SetKeys(keys.JwksJson);
            using var gateway = await GatewayInstance.StartAsync(configure: config =>
            {
                JsonObject auth = config["Auth"]!.AsObject();
                auth.Remove("JwksFile");
                auth["Issuer"] = issuer.Issuer;
                auth["RequireHttpsMetadata"] = false;
                auth["KeyFetchRetryDelay"] = "00:00:01";
            });
            using var relay = NamespaceRelay.Start(gateway.Topology.Gateway, port);
            string saved = Path.Combine(gateway.DataDirectory, "issuer-keys.json");

            // Keys fetched by a sign-in and saved.
            Assert.Equal(0, SignIn(gateway, keys, "alice"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(saved));
            Assert.Contains(keys.KeyId, File.ReadAllText(saved), StringComparison.Ordinal);

            // The gateway stopped, the issuer stopped, the gateway started again: the saved keys serve.
            Assert.Equal(0, await gateway.StopAsync());
            await issuer.DisposeAsync();
            running = null;
            await gateway.StartAgainAsync();
            Assert.Equal(0, SignIn(gateway, keys, "bob"));
            await gateway.Process.WaitForOutputAsync($"token signing keys saved in {saved}", TimeSpan.FromSeconds(10));
            await gateway.Process.WaitForOutputAsync("cannot be reached", TimeSpan.FromSeconds(10));

            // The issuer back at its address with a rotated key: a token signed with it makes the gateway fetch it.
            issuer = running = await OidcDiscoveryServer.StartAsync(port);
            issuer.SetKeys(rotated.JwksJson);
            Assert.Equal(0, SignIn(gateway, rotated, "carol"));
            Assert.True(issuer.JwksRequests >= 1);
            Assert.Contains(rotated.KeyId, File.ReadAllText(saved), StringComparison.Ordinal);
            output.WriteLine(string.Join('\n', gateway.Process.Output.Split('\n').Where(l => l.Contains("signing keys", StringComparison.Ordinal))));
        }
        finally
        {
            if (running is not null)
            {
                await running.DisposeAsync();
            }
        }
    }

    /// <summary>Signs <paramref name="user"/> in with a token from <paramref name="keys"/>; returns openconnect's exit code (0: the gateway accepted it).</summary>
    private int SignIn(GatewayInstance gateway, DevelopmentTokenIssuer keys, string user)
    {
        string token = keys.Mint(new DevelopmentTokenRequest
        {
            Subject = user,
            UserName = user,
            DeviceId = "device-" + user,
            ExtraClaims = new Dictionary<string, object> { ["compliance"] = "compliant" },
            Lifetime = TimeSpan.FromHours(1),
        });
        CommandResult result = OpenConnectClient.Authenticate(gateway, gateway.TokenFile(token));
        output.WriteLine($"sign-in of {user}: exit {result.ExitCode}");
        return result.ExitCode;
    }
}
