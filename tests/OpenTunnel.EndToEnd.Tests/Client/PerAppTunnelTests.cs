using System.Net;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Identity;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// A per-app profile (one with an app list) through the real gateway and management service, with
/// each engine: <c>connect PROFILE</c> puts the tunnel (the native engine's TUN device, or
/// openconnect's through the client's vpnc-script) into the profile's own network namespace, a
/// listed app started by <c>run --profile</c> reaches the corp host through it (TCP, with the
/// gateway's PAT address as its source) and resolves an internal name through the tunnel's DNS
/// server (a <see cref="DnsResponder"/> at the site's DNS address 198.18.2.53), while a process in
/// the client namespace, where connect runs, neither reaches the corp host nor asks that server.
/// connect runs in the client namespace through nsenter, not `ip netns exec`, so that the namespace
/// it makes is mounted where the test (and `run`) see it, as on a real machine.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class PerAppTunnelTests
{
    private const string InternalName = "intranet.corp.opentunnel.test";

    [Theory]
    [InlineData("native")]
    [InlineData("openconnect")]
    public async Task PerAppProfile_ListedAppReachesCorpAndTunnelDns_OtherProcessesDoNot_NamespaceGoesWithConnect(string engine)
    {
        Prerequisites.RequireRootAndCommands([.. (string[])["ip", "nft", "nsenter", "curl", "getent"], .. engine == "openconnect" ? ["openconnect"] : Array.Empty<string>()]);
        using AgentStack stack = await AgentStack.StartAsync(ContinuousAccessTests.TrustTheProviderAsync);
        using SignedInClient client = await SignedInClient.StartAsync(stack, group => new
        {
            name = "office",
            siteId = stack.Site,
            platform = "linux",
            assignedGroupIds = new[] { group },
            perAppIdentifiers = new[] { "curl", "getent" },
        });
        Dictionary<string, string> environment = client.Environment;
        string appNamespace = "opentunnel-" + Guid.Parse(client.ProfileId).ToString("N")[..12];

        GatewayInstance gateway = stack.Gateway;
        NetworkTopology topology = gateway.Topology;
        Command.Run("ip", "-n", topology.Corp, "addr", "add", "198.18.2.53/24", "dev", topology.Prefix + "n0").EnsureSuccess();
        using var dns = DnsResponder.Start(topology.Corp, "198.18.2.53", new Dictionary<string, IPAddress> { [InternalName] = IPAddress.Parse(NetworkTopology.CorpAddress) });
        using var web = SourceEchoServer.Start(topology.Corp, NetworkTopology.CorpAddress);
        string clientResolvConf = topology.CreateResolvConf(topology.Client);
        using NamespaceRelay relay = NamespaceRelay.Start(topology.Client, stack.Management.ApiUrl.Port);
        TrackedProcess? connect = null;
        try
        {
            string[] engineOptions = engine == "native" ? [] : ["--engine", "openconnect", "--", "--non-inter", "--interface", "otpa0"];
            connect = TrackedProcess.Start("nsenter", ["--net=/run/netns/" + topology.Client, "dotnet", ClientConnectTests.Client, "connect", "office",
                "--servercert", "pin-sha256:" + gateway.Pin, .. engineOptions], environment: environment);
            string device = "otpa0";
            if (engine == "native")
            {
                await connect.WaitForOutputAsync("Connected to", TimeSpan.FromSeconds(90));
                device = System.Text.RegularExpressions.Regex.Match(connect.Output, " on (opentun[0-9]+), MTU").Groups[1].Value;
            }
            else
            {
                await connect.WaitForOutputAsync("Per-app tunnel: otpa0 is in namespace " + appNamespace, TimeSpan.FromSeconds(90));
            }

            // The device is in the namespace with the tunnel's routes; the client namespace keeps its own routes (to the gateway among them).
            Assert.True(Command.Run("ip", "-n", appNamespace, "link", "show", device).Succeeded, $"The tunnel device '{device}' is not in namespace {appNamespace}.\n{connect.Output}");
            Assert.Contains($"dev {device}", Command.Run("ip", "-n", appNamespace, "route", "get", NetworkTopology.CorpAddress).StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain(device, topology.Exec(topology.Client, "ip", "route", "get", NetworkTopology.GatewayPublicAddress).StandardOutput, StringComparison.Ordinal);

            // The listed app: through the tunnel (the corp host sees the gateway's address), by the internal name.
            string url = $"http://{InternalName}:{web.Port}/";
            CommandResult inside = Command.Run("dotnet", [ClientConnectTests.Client, "run", "--profile", "office", "--", "curl", "-sS", "--max-time", "15", url],
                TimeSpan.FromSeconds(60), environment: environment);
            Assert.True(inside.Succeeded, $"curl in the per-app tunnel failed ({inside.ExitCode}).\n{inside.StandardOutput}\n{inside.StandardError}\n{connect.Output}");
            Assert.Equal(NetworkTopology.GatewayCorpAddress, inside.StandardOutput.Trim());
            Assert.Contains(dns.Questions, q => string.Equals(q.Name, InternalName, StringComparison.OrdinalIgnoreCase) && q.From.ToString() == NetworkTopology.GatewayCorpAddress);
            CommandResult resolved = Command.Run("dotnet", [ClientConnectTests.Client, "run", "--profile", "office", "--", "getent", "ahostsv4", InternalName],
                TimeSpan.FromSeconds(60), environment: environment);
            Assert.True(resolved.Succeeded, $"getent in the per-app tunnel failed ({resolved.ExitCode}).\n{resolved.StandardError}");
            Assert.StartsWith(NetworkTopology.CorpAddress, resolved.StandardOutput, StringComparison.Ordinal);

            // A program that is not one of the profile's apps is refused.
            CommandResult refused = Command.Run("dotnet", [ClientConnectTests.Client, "run", "--profile", "office", "--", "ip", "link"],
                TimeSpan.FromSeconds(60), environment: environment);
            Assert.Equal(77, refused.ExitCode);
            Assert.Contains("is not one of the apps of profile office (curl, getent)", refused.StandardError, StringComparison.Ordinal);

            // Everything else in the client namespace stays outside: no tunnel device, no route into it, no tunnel DNS.
            int asked = dns.Questions.Count;
            Assert.False(topology.Exec(topology.Client, "ip", "link", "show", device).Succeeded, "The tunnel device is visible outside the per-app namespace.");
            Assert.DoesNotContain(device, topology.Exec(topology.Client, "ip", "route", "get", NetworkTopology.CorpAddress).StandardOutput, StringComparison.Ordinal);
            CommandResult outside = topology.Exec(topology.Client, "curl", ["-sS", "--max-time", "5", $"http://{NetworkTopology.CorpAddress}:{web.Port}/"], TimeSpan.FromSeconds(20));
            Assert.False(outside.Succeeded, $"A process outside the per-app namespace reached the corp host: {outside.StandardOutput}");
            CommandResult outsideName = topology.Exec(topology.Client, "getent", ["ahostsv4", InternalName], TimeSpan.FromSeconds(30));
            Assert.False(outsideName.Succeeded, $"A process outside the per-app namespace resolved {InternalName}: {outsideName.StandardOutput}");
            Assert.Equal(asked, dns.Questions.Count);
            Assert.DoesNotContain("198.18.2.53", File.ReadAllText(clientResolvConf), StringComparison.Ordinal);
            Assert.Contains("nameserver 198.18.2.53", File.ReadAllText($"/etc/netns/{appNamespace}/resolv.conf"), StringComparison.Ordinal);

            connect.Signal(15);
            int exitCode = await connect.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(exitCode == 0, $"opentunnel connect exited with {exitCode} after SIGTERM.\n{connect.Output}");
            Assert.False(File.Exists("/run/netns/" + appNamespace), $"connect left the namespace {appNamespace} behind.");
            Assert.False(Directory.Exists("/etc/netns/" + appNamespace), $"connect left /etc/netns/{appNamespace} behind.");
            CommandResult after = Command.Run("dotnet", [ClientConnectTests.Client, "run", "--profile", "office", "--", "curl", "-sS", url],
                TimeSpan.FromSeconds(60), environment: environment);
            Assert.Equal(78, after.ExitCode);
            Assert.Contains("run 'opentunnel connect office' first", after.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            connect?.Dispose();
            Command.Run("ip", "netns", "delete", appNamespace);
            if (Directory.Exists("/etc/netns/" + appNamespace))
            {
                Directory.Delete("/etc/netns/" + appNamespace, recursive: true);
            }
        }
    }
}
