using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// Load-aware sign-in with two real gateways of one site in the gateway namespace (the
/// <see cref="PeerGateway"/> on port 4444 with the same certificate) and Debian's
/// openconnect 9.01: a client pointed at the loaded (then the drained) gateway is redirected and
/// ends connected to the peer, with DTLS up there.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class SignInRedirectTests
{
    [Fact]
    public async Task OpenConnect_PointedAtTheLoadedThenDrainedGateway_EndsConnectedToThePeerWithDtls()
    {
        string peer = PeerGateway.Address;
        using var gateway = await GatewayInstance.StartAsync(config => config["LoadBalancing"] = new JsonObject
        {
            ["Mode"] = "Redirect",
            ["ThresholdPercent"] = 0,
            ["Peers"] = new JsonArray(new JsonObject
            {
                ["Address"] = peer, ["Sessions"] = 0, ["Healthy"] = true, ["Draining"] = false, ["ReportedAt"] = DateTimeOffset.UtcNow.ToString("O"),
            }),
        });
        using var peerGateway = await PeerGateway.StartAsync(gateway);

        // Neither holds a session: alice is served where she asked.
        using var alice = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), "otalice");
        Assert.StartsWith("198.18.128.", alice.Address, StringComparison.Ordinal);

        // The gateway now holds one session more than the peer: bob goes to the peer and runs DTLS there.
        using var bob = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("bob")), "otbob", installRoutes: false);
        Assert.StartsWith("198.18.129.", bob.Address, StringComparison.Ordinal);
        await bob.Process.WaitForOutputAsync("Established DTLS connection", TimeSpan.FromSeconds(15));
        Assert.Contains($"POST https://{peer}/?ot-redirected=1", bob.Process.Output, StringComparison.Ordinal);
        Assert.Contains($"GET https://{peer}/?ot-redirected=1", bob.Process.Output, StringComparison.Ordinal);

        // Drained, the gateway sends carol to the peer too.
        await gateway.ControlAsync(new JsonObject { ["command"] = "drain", ["enabled"] = true });
        using var carol = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("carol")), "otcarol", installRoutes: false);
        Assert.StartsWith("198.18.129.", carol.Address, StringComparison.Ordinal);
        await carol.Process.WaitForOutputAsync("Established DTLS connection", TimeSpan.FromSeconds(15));

        string here = Scrape(gateway, 9464);
        // openconnect --token-mode=oidc asks twice, each time at the URL it was given: its XML POST,
        // then, after the Bearer challenge (from the peer), a GET. Both are redirected.
        foreach (string line in new[] { Series("sign_ins_redirected_total", "reason=\"load\"", 2), Series("sign_ins_redirected_total", "reason=\"draining\"", 2), Series("sessions_active", null, 1) })
        {
            Assert.True(Regex.IsMatch(here, line), $"no line '{line}' in the gateway's metrics:\n{here}");
        }

        string dtls = Series("sessions_connected", "channel=\"dtls\"", 2);
        Assert.Matches(dtls, await ScrapeUntilAsync(gateway, PeerGateway.MetricsPort, dtls));
        Assert.Contains($"Redirected the new sign-in from {NetworkTopology.ClientAddress}", gateway.Process.Output, StringComparison.Ordinal);
    }

    internal static string Scrape(GatewayInstance gateway, int port) =>
        gateway.Topology.Exec(gateway.Topology.Gateway, "curl", "-s", "-m", "5", $"http://127.0.0.1:{port}/metrics").EnsureSuccess().StandardOutput;

    /// <summary>A pattern for the line of the gateway's series <paramref name="name"/> (after <c>opentunnel_gateway_</c>) with the label <paramref name="label"/> among its labels, and <paramref name="value"/>.</summary>
    internal static string Series(string name, string? label, int value) =>
        string.Create(CultureInfo.InvariantCulture, $"(?m)^opentunnel_gateway_{name}") + (label is null ? @"(\{[^}]*\})?" : @"\{[^}]*" + Regex.Escape(label) + @"[^}]*\}") + string.Create(CultureInfo.InvariantCulture, $" {value}$");

    /// <summary>Scrapes until a line matches <paramref name="pattern"/>, for at most 10 s; the last scrape.</summary>
    internal static async Task<string> ScrapeUntilAsync(GatewayInstance gateway, int port, string pattern)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string scrape;
        while (!Regex.IsMatch(scrape = Scrape(gateway, port), pattern) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        return scrape;
    }
}
