using System.Globalization;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Scaling;

/// <summary>
/// The network of a site with several gateways behind one balancer, in namespaces this class
/// makes and removes (every name starts with ot + PID + a letter, as <see cref="NetworkTopology"/>'s,
/// so a crashed run's leftovers are removed by the next topology):
/// <code>
///   client i 198.18.1.(10+i) ─┐ bridge 198.18.1.1 (the site's public address)
///                             balancer
///   gateway k 198.18.4.(11+k) ┘ bridge 198.18.4.1
///   gateway k 198.18.2.(1+k) ── bridge in corp 198.18.2.10
/// </code>
/// Clients route everything to the balancer, which forwards nothing itself (no ip_forward): only
/// the proxies in it reach the gateways. The gateways route the client subnet back through the
/// balancer; the corp host has no route back to anything, so it answers tunnel traffic only
/// through each gateway's PAT.
/// </summary>
public sealed class BalancedSiteNetwork : IDisposable
{
    public const string PublicAddress = "198.18.1.1";
    public const string CorpAddress = "198.18.2.10";

    private static int s_counter;
    private readonly List<string> _namespaces = [];
    private bool _disposed;

    private BalancedSiteNetwork(string prefix, int clients, int gateways)
    {
        Prefix = prefix;
        Clients = [.. Enumerable.Range(0, clients).Select(i => string.Create(CultureInfo.InvariantCulture, $"{prefix}c{i:00}"))];
        Gateways = [.. Enumerable.Range(0, gateways).Select(k => string.Create(CultureInfo.InvariantCulture, $"{prefix}g{k}"))];
    }

    public string Prefix { get; }

    public string Balancer => Prefix + "lb";

    public string Corp => Prefix + "n";

    public IReadOnlyList<string> Clients { get; }

    public IReadOnlyList<string> Gateways { get; }

    /// <summary>Gateway <paramref name="k"/>'s address on the balancer's side.</summary>
    public static string GatewayAddress(int k) => string.Create(CultureInfo.InvariantCulture, $"198.18.4.{11 + k}");

    public static BalancedSiteNetwork Create(int clients, int gateways)
    {
        Prerequisites.RequireRootAndCommands("ip");
        int n = Interlocked.Increment(ref s_counter);
        var network = new BalancedSiteNetwork(string.Create(CultureInfo.InvariantCulture, $"ot{Environment.ProcessId}{(char)('z' - ((n - 1) % 13))}s"), clients, gateways);
        try
        {
            network.Build();
        }
        catch
        {
            network.Dispose();
            throw;
        }

        return network;
    }

    /// <summary>Starts a long-running command inside <paramref name="ns"/> (`ip netns exec` execs it, so the PID is the command's).</summary>
    public static TrackedProcess Start(string ns, string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null) =>
        TrackedProcess.Start("ip", ["netns", "exec", ns, fileName, .. arguments], environment: environment);

    public static Task<CommandResult> ExecAsync(string ns, string fileName, params string[] arguments) =>
        Command.RunAsync("ip", ["netns", "exec", ns, fileName, .. arguments], TimeSpan.FromSeconds(20), null, CancellationToken.None);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (string ns in _namespaces)
        {
            // Whatever still runs inside was started by this test: end it by PID, then remove the namespace.
            foreach (int pid in NetworkTopology.ProcessIds(ns))
            {
                _ = NativeSignals.Kill(pid, 9);
            }

            Command.Run("ip", "netns", "del", ns);
        }
    }

    private void Build()
    {
        foreach (string ns in (string[])[Balancer, Corp, .. Gateways, .. Clients])
        {
            Command.Run("ip", "netns", "add", ns).EnsureSuccess();
            _namespaces.Add(ns);
            Ip(ns, "link", "set", "lo", "up");
        }

        Bridge(Balancer, "cb", PublicAddress + "/24");
        Bridge(Balancer, "gb", "198.18.4.1/24");
        Bridge(Corp, "nb", CorpAddress + "/24");
        for (int i = 0; i < Clients.Count; i++)
        {
            string client = Clients[i];
            Veth(client, "e0", string.Create(CultureInfo.InvariantCulture, $"198.18.1.{10 + i}/24"), Balancer, string.Create(CultureInfo.InvariantCulture, $"c{i}"), "cb");
            Ip(client, "route", "add", "default", "via", PublicAddress);
        }

        for (int k = 0; k < Gateways.Count; k++)
        {
            string gateway = Gateways[k];
            string port = string.Create(CultureInfo.InvariantCulture, $"g{k}");
            Veth(gateway, "p0", GatewayAddress(k) + "/24", Balancer, port, "gb");
            Veth(gateway, "p1", string.Create(CultureInfo.InvariantCulture, $"198.18.2.{1 + k}/24"), Corp, port, "nb");
            Ip(gateway, "route", "add", "198.18.1.0/24", "via", "198.18.4.1");
        }
    }

    private static void Bridge(string ns, string name, string address)
    {
        Ip(ns, "link", "add", name, "type", "bridge");
        Ip(ns, "addr", "add", address, "dev", name);
        Ip(ns, "link", "set", name, "up");
    }

    /// <summary>A veth pair: <paramref name="inner"/> with <paramref name="address"/> in <paramref name="ns"/>, its peer a port of bridge <paramref name="bridge"/> in <paramref name="bridgeNs"/>.</summary>
    private static void Veth(string ns, string inner, string address, string bridgeNs, string peer, string bridge)
    {
        Command.Run("ip", "link", "add", inner, "netns", ns, "type", "veth", "peer", "name", peer, "netns", bridgeNs).EnsureSuccess();
        Ip(ns, "addr", "add", address, "dev", inner);
        Ip(ns, "link", "set", inner, "up");
        Ip(bridgeNs, "link", "set", peer, "master", bridge);
        Ip(bridgeNs, "link", "set", peer, "up");
    }

    private static void Ip(string ns, params string[] arguments) =>
        Command.Run("ip", ["-n", ns, .. arguments], Command.DefaultTimeout).EnsureSuccess();
}
