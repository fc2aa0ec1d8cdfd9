using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Identity;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// The native engine renews its gateway token with the sign-in's refresh token, at the real
/// identity provider, before the token expires: the provider issues one-minute tokens
/// (<c>Identity:AccessTokenLifetime</c>, its minimum), the gateway allows 5 s of clock skew, and
/// after the first token has expired the gateway is stopped and started again, so that it forgets
/// the session and the client has to sign in anew: the gateway takes the renewed token and the
/// tunnel carries traffic again. The client runs in the client namespace and reaches the service on
/// the test's loopback through a <see cref="NamespaceRelay"/>.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class NativeClientTokenRenewalTests
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task ShortLivedToken_RenewedBeforeItExpires_GatewayTakesTheRenewedOneAtTheNextSignIn_TunnelKeepsWorking()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ping");
        using AgentStack stack = await AgentStack.StartAsync(TrustTheProviderWithShortSkewAsync, managementLauncher: ["env", "Identity__AccessTokenLifetime=00:01:00"]);
        using SignedInClient client = await SignedInClient.StartAsync(stack, group => new { name = "office", siteId = stack.Site, platform = "linux", assignedGroupIds = new[] { group } });
        GatewayInstance gateway = stack.Gateway;
        NetworkTopology topology = gateway.Topology;
        topology.CreateResolvConf(topology.Client);
        using NamespaceRelay relay = NamespaceRelay.Start(topology.Client, stack.Management.ApiUrl.Port);

        // No --engine: the native engine is the default with --gateway.
        using TrackedProcess connect = topology.Start(topology.Client, "dotnet",
            [ClientConnectTests.Client, "connect", "--gateway", gateway.Url, "--site", "e2e", "--servercert", "pin-sha256:" + gateway.Pin],
            environment: client.Environment);
        await connect.WaitForOutputAsync("Connected to", TimeSpan.FromSeconds(60));
        // The first token was issued before the tunnel came up, so it expires a minute after this at the latest.
        DateTimeOffset firstExpiry = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1);
        Ping(topology, connect);

        // Renewed when a fifth of its lifetime (12 s) is left, with a new one-minute token.
        await connect.WaitForOutputAsync("The gateway token was renewed", TimeSpan.FromSeconds(90));
        DateTimeOffset renewedExpiry = RenewedUntil(connect.Output);
        Assert.True(renewedExpiry - DateTimeOffset.UtcNow < TimeSpan.FromSeconds(65), $"The renewed token is valid until {renewedExpiry:u}: not the provider's one-minute lifetime.");
        Assert.DoesNotContain("could not be renewed", connect.Output, StringComparison.Ordinal);

        // Past the first token's expiry and the gateway's clock skew: the tunnel still carries traffic.
        TimeSpan untilExpired = firstExpiry + ClockSkew + TimeSpan.FromSeconds(3) - DateTimeOffset.UtcNow;
        if (untilExpired > TimeSpan.Zero)
        {
            await Task.Delay(untilExpired);
        }

        Ping(topology, connect);

        // The gateway forgets the session: only a new sign-in brings the tunnel back, and the first token is refused by now
        // ("token expired at ..."); the renewed one is taken.
        await gateway.StopAndRestartAsync();
        await connect.WaitForOutputAsync("Reconnected to", TimeSpan.FromSeconds(90));
        Assert.Contains("The gateway no longer knows the session", connect.Output, StringComparison.Ordinal);
        string log = gateway.Process.Output;
        Assert.DoesNotContain("token expired", log, StringComparison.Ordinal);
        Assert.Contains("Sign-in of bob", log, StringComparison.Ordinal);
        Ping(topology, connect);
        Assert.Single((await gateway.ControlAsync("sessions"))!.AsArray());

        connect.Signal(15);
        int exitCode = await connect.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(exitCode == 0, $"connect exited with {exitCode} after SIGTERM.\n{connect.Output}");
    }

    /// <summary>
    /// The gateway trusts the stack's identity provider (as <see cref="ContinuousAccessTests"/>) with a
    /// clock skew of 5 s instead of 60, and has IPv4 only, as the site's configuration the agent
    /// applies: the lease after the restart must give the client the addresses it had.
    /// </summary>
    private static async Task<Action<JsonObject>> TrustTheProviderWithShortSkewAsync(ManagementProcess management, string folder)
    {
        Action<JsonObject> trust = await ContinuousAccessTests.TrustTheProviderAsync(management, folder);
        return config =>
        {
            trust(config);
            config["Auth"]!["ClockSkew"] = ClockSkew.ToString("c", CultureInfo.InvariantCulture);
            JsonObject network = config["Network"]!.AsObject();
            network.Remove("IPv6Pool");
            network["SplitInclude"] = new JsonArray(NetworkTopology.CorpSubnet);
        };
    }

    private static void Ping(NetworkTopology topology, TrackedProcess connect)
    {
        CommandResult ping = topology.Exec(topology.Client, "ping", ["-c", "1", "-W", "3", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(10));
        Assert.True(ping.Succeeded, $"No ping through the tunnel.\n{ping.StandardOutput}{ping.StandardError}\n{connect.Output}");
    }

    /// <summary>The expiry the client's renewal line gives for the new token.</summary>
    private static DateTimeOffset RenewedUntil(string output)
    {
        Match line = RenewedLine().Match(output);
        Assert.True(line.Success, $"No renewal line with an expiry.\n{output}");
        return DateTimeOffset.Parse(line.Groups["until"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    [GeneratedRegex(@"The gateway token was renewed \(valid until (?<until>[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}Z)\)")]
    private static partial Regex RenewedLine();
}
