using System.Globalization;
using System.Text.RegularExpressions;

namespace OpenTunnel.Testing;

/// <summary>
/// The standard test topology of docs/testing.md (in this repository), built from network namespaces and veth pairs:
/// <code>
///   client 198.18.1.2/24 ── 198.18.1.1/24 gateway 198.18.2.1/24 ── 198.18.2.10/24 corp
///   (optional) internet 198.18.3.10/24 ── 198.18.3.1/24 gateway
/// </code>
/// with 2001:db8:N::/64 beside each IPv4 subnet. The client's default route points at the
/// gateway's public address; forwarding is on in the gateway namespace only; the corp host has
/// no route back to the client or the VPN pool, so it answers tunnel traffic only when the
/// gateway translates it (PAT), unless <see cref="EnableDirectRouting"/> is called.
/// Every name starts with a prefix unique to this process and topology; Dispose removes every
/// namespace (and with them every veth) and every process it made. Nothing in the root
/// namespace is changed: veth ends are created directly inside their namespaces.
/// </summary>
public sealed partial class NetworkTopology : IDisposable
{
    public const string ClientAddress = "198.18.1.2";
    public const string GatewayPublicAddress = "198.18.1.1";
    public const string GatewayCorpAddress = "198.18.2.1";
    public const string CorpAddress = "198.18.2.10";
    public const string GatewayInternetAddress = "198.18.3.1";
    public const string InternetAddress = "198.18.3.10";
    public const string CorpSubnet = "198.18.2.0/24";
    public const string InternetSubnet = "198.18.3.0/24";
    public const string PublicSubnet = "198.18.1.0/24";
    public const string ClientAddress6 = "2001:db8:1::2";
    public const string GatewayPublicAddress6 = "2001:db8:1::1";
    public const string CorpAddress6 = "2001:db8:2::10";

    private static int s_counter;
    private readonly List<string> _namespaces = [];
    private readonly List<TrackedProcess> _processes = [];
    private bool _disposed;

    private NetworkTopology(string prefix)
    {
        Prefix = prefix;
    }

    /// <summary>The prefix every namespace and link of this topology starts with (ot + PID + a letter).</summary>
    public string Prefix { get; }

    public string Client => Prefix + "c";

    public string Gateway => Prefix + "g";

    public string Corp => Prefix + "n";

    public string Internet => Prefix + "i";

    /// <summary>The gateway's interface towards the corp network (the PAT egress).</summary>
    public string GatewayCorpInterface => Prefix + "g2";

    /// <summary>The gateway's public interface (towards the client).</summary>
    public string GatewayPublicInterface => Prefix + "g1";

    /// <summary>Whether the "internet" namespace exists.</summary>
    public bool HasInternet { get; private set; }

    /// <summary>
    /// Builds the topology. Fails with a message naming the missing prerequisite when the test
    /// is not root or iproute2 is missing. Leftovers of crashed runs (namespaces whose owning
    /// process is gone) are removed first.
    /// </summary>
    public static NetworkTopology Create(bool withInternet = false)
    {
        Prerequisites.RequireRootAndCommands("ip");
        RemoveLeftovers();

        int n = Interlocked.Increment(ref s_counter);
        string prefix = string.Create(CultureInfo.InvariantCulture, $"ot{Environment.ProcessId}{(char)('a' + ((n - 1) % 26))}");
        var topology = new NetworkTopology(prefix);
        try
        {
            topology.Build(withInternet);
        }
        catch
        {
            topology.Dispose();
            throw;
        }

        return topology;
    }

    /// <summary>Adds the corp host's route back to the client subnet: plain routing, no tunnel, no PAT (the benchmark's direct path).</summary>
    public void EnableDirectRouting()
    {
        Ip(Corp, "route", "add", PublicSubnet, "via", GatewayCorpAddress);
        Ip(Corp, "-6", "route", "add", "2001:db8:1::/64", "via", "2001:db8:2::1");
    }

    /// <summary>Removes the route back that <see cref="EnableDirectRouting"/> added, so the corp host again answers only through PAT.</summary>
    public void DisableDirectRouting()
    {
        Ip(Corp, "route", "del", PublicSubnet, "via", GatewayCorpAddress);
        Ip(Corp, "-6", "route", "del", "2001:db8:1::/64", "via", "2001:db8:2::1");
    }

    /// <summary>The PIDs of every process running inside namespace <paramref name="ns"/> (`ip netns pids`).</summary>
    public static IReadOnlyList<int> ProcessIds(string ns) =>
        [.. Command.Run("ip", "netns", "pids", ns).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => int.Parse(line, CultureInfo.InvariantCulture))];

    /// <summary>Runs a command inside namespace <paramref name="ns"/> to completion.</summary>
    public CommandResult Exec(string ns, string fileName, params string[] arguments) =>
        Exec(ns, fileName, arguments, Command.DefaultTimeout);

    public CommandResult Exec(string ns, string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, string? standardInput = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Command.Run("ip", ["netns", "exec", ns, fileName, .. arguments], timeout, standardInput);
    }

    /// <summary>Runs a command inside <paramref name="ns"/>; cancellation kills it (see <see cref="Command.RunAsync"/>).</summary>
    public Task<CommandResult> ExecAsync(string ns, string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Command.RunAsync("ip", ["netns", "exec", ns, fileName, .. arguments], timeout, null, cancellationToken);
    }

    /// <summary>
    /// Starts a long-running command inside <paramref name="ns"/>; it is tracked by PID and ended
    /// in Dispose. `ip netns exec` execs the command, so the PID is the command's own.
    /// </summary>
    public TrackedProcess Start(string ns, string fileName, IEnumerable<string> arguments, string? standardInput = null, IDictionary<string, string>? environment = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var process = TrackedProcess.Start("ip", ["netns", "exec", ns, fileName, .. arguments], standardInput, environment);
        lock (_processes)
        {
            _processes.Add(process);
        }

        return process;
    }

    /// <summary>
    /// Gives namespace <paramref name="ns"/> its own resolv.conf, which `ip netns exec` mounts over
    /// /etc/resolv.conf, so a VPN client's script can change DNS without touching the host's.
    /// </summary>
    public string CreateResolvConf(string ns)
    {
        string folder = Path.Combine("/etc/netns", ns);
        Directory.CreateDirectory(folder);
        string file = Path.Combine(folder, "resolv.conf");
        File.WriteAllText(file, "# test namespace " + ns + "\n");
        return file;
    }

    /// <summary>The names of namespaces that exist now and start with <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<string> ListNamespaces(string prefix) =>
        [.. Command.Run("ip", "netns", "list").StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0])
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))];

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        lock (_processes)
        {
            foreach (var process in _processes)
            {
                process.Dispose();
            }
        }

        foreach (string ns in _namespaces)
        {
            DeleteNamespace(ns);
        }
    }

    private void Build(bool withInternet)
    {
        foreach (string ns in withInternet ? new[] { Client, Gateway, Corp, Internet } : [Client, Gateway, Corp])
        {
            Command.Run("ip", "netns", "add", ns).EnsureSuccess();
            _namespaces.Add(ns);
            Ip(ns, "link", "set", "lo", "up");
        }

        // Forwarding inside the gateway namespace only; the root namespace's sysctls stay as they are.
        Exec(Gateway, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1").EnsureSuccess();
        Exec(Gateway, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1").EnsureSuccess();

        Link(Client, Prefix + "c0", "198.18.1.2/24", "2001:db8:1::2/64", Gateway, GatewayPublicInterface, "198.18.1.1/24", "2001:db8:1::1/64");
        Link(Corp, Prefix + "n0", "198.18.2.10/24", "2001:db8:2::10/64", Gateway, GatewayCorpInterface, "198.18.2.1/24", "2001:db8:2::1/64");
        Ip(Client, "route", "add", "default", "via", GatewayPublicAddress);
        Ip(Client, "-6", "route", "add", "default", "via", GatewayPublicAddress6);

        if (withInternet)
        {
            Link(Internet, Prefix + "i0", "198.18.3.10/24", "2001:db8:3::10/64", Gateway, Prefix + "g3", "198.18.3.1/24", "2001:db8:3::1/64");
            Ip(Internet, "route", "add", PublicSubnet, "via", GatewayInternetAddress);
            Ip(Internet, "-6", "route", "add", "2001:db8:1::/64", "via", "2001:db8:3::1");
            HasInternet = true;
        }
    }

    private void Link(string nsA, string ifA, string addrA, string addr6A, string nsB, string ifB, string addrB, string addr6B)
    {
        Command.Run("ip", "link", "add", ifA, "netns", nsA, "type", "veth", "peer", "name", ifB, "netns", nsB).EnsureSuccess();
        Ip(nsA, "addr", "add", addrA, "dev", ifA);
        Ip(nsA, "-6", "addr", "add", addr6A, "dev", ifA, "nodad");
        Ip(nsA, "link", "set", ifA, "up");
        Ip(nsB, "addr", "add", addrB, "dev", ifB);
        Ip(nsB, "-6", "addr", "add", addr6B, "dev", ifB, "nodad");
        Ip(nsB, "link", "set", ifB, "up");
    }

    private static void Ip(string ns, params string[] arguments) =>
        Command.Run("ip", ["-n", ns, .. arguments], Command.DefaultTimeout).EnsureSuccess();

    private static void DeleteNamespace(string ns)
    {
        // Children the tracked processes left behind (daemon workers) may still run inside. Only the topology that
        // owns the namespace starts processes there, so whatever is left is its own to end, by PID (SIGKILL).
        foreach (int pid in ProcessIds(ns))
        {
            _ = NativeSignals.Kill(pid, 9);
        }

        Command.Run("ip", "netns", "del", ns);
        string folder = Path.Combine("/etc/netns", ns);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Deletes namespaces named ot&lt;pid&gt;… whose process no longer runs: what a crashed test run left.</summary>
    private static void RemoveLeftovers()
    {
        foreach (string ns in ListNamespaces("ot"))
        {
            var match = OwnedName().Match(ns);
            if (match.Success && !Directory.Exists("/proc/" + match.Groups[1].Value))
            {
                DeleteNamespace(ns);
            }
        }
    }

    [GeneratedRegex("^ot([0-9]+)[a-z]")]
    private static partial Regex OwnedName();
}
