using OpenTunnel.Client.HostNetwork;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.PerApp;

/// <summary>
/// The network namespace of a per-app profile (one whose app list is not empty): <c>connect</c>
/// makes it and puts the tunnel's TUN device into it (through <see cref="AppTunnelPlan"/>), <c>run</c>
/// starts the profile's apps inside it, and the rest of the machine never sees the tunnel: its
/// routes, addresses and DNS exist only there. <c>ip netns exec</c> mounts
/// <c>/etc/netns/NAME/resolv.conf</c> over <c>/etc/resolv.conf</c> for the processes it starts, so
/// the apps resolve through the tunnel's DNS servers and nothing else does.
/// </summary>
public static class AppNamespace
{
    /// <summary>Where iproute2 keeps named namespaces.</summary>
    public const string RunDirectory = "/run/netns";

    /// <summary>Where <c>ip netns exec</c> finds a namespace's own files (resolv.conf).</summary>
    public const string EtcDirectory = "/etc/netns";

    /// <summary>Whether <paramref name="profile"/> is per-app: only its listed apps use its tunnel.</summary>
    public static bool IsPerApp(DeviceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return profile.PerAppIdentifiers.Count > 0;
    }

    /// <summary><c>opentunnel-</c> and the first 12 hex digits of the profile's id: stable across renames, and a valid file name.</summary>
    public static string NameFor(DeviceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return "opentunnel-" + profile.Id.ToString("N")[..12];
    }

    public static string ResolvConfFile(string netns) => Path.Combine(EtcDirectory, netns, "resolv.conf");

    public static bool Exists(string netns) => File.Exists(Path.Combine(RunDirectory, netns));

    /// <summary>
    /// Makes the namespace (or keeps the one an earlier connect left, with the apps still in it),
    /// with loopback up and a resolv.conf without servers until the tunnel is up, so that an app
    /// started early never falls back to the machine's resolvers.
    /// </summary>
    public static void Create(string netns)
    {
        if (!Exists(netns))
        {
            HostCommands.Ip(["netns", "add", netns]);
        }

        HostCommands.Ip(["-n", netns, "link", "set", "dev", "lo", "up"]);
        WriteResolvConf(netns, "# opentunnel: the tunnel of this namespace is not up; no name servers.\n");
    }

    /// <summary>Deletes the namespace and its files; apps still running in it keep it, without a tunnel.</summary>
    public static void Remove(string netns)
    {
        HostCommands.IpQuietly(["netns", "delete", netns]);
        string folder = Path.Combine(EtcDirectory, netns);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Runs the plan's <c>ip</c> commands (the device into <paramref name="netns"/> and configured there) and writes the namespace's resolv.conf.</summary>
    public static void Apply(AppTunnelPlan plan, string netns)
    {
        ArgumentNullException.ThrowIfNull(plan);
        foreach (IReadOnlyList<string> command in plan.IpCommands)
        {
            HostCommands.Ip(command);
        }

        WriteResolvConf(netns, plan.ResolvConf);
    }

    public static void WriteResolvConf(string netns, string text)
    {
        string file = ResolvConfFile(netns);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        string temporary = file + ".new";
        File.WriteAllText(temporary, text);
        File.Move(temporary, file, overwrite: true);
    }

    /// <summary>
    /// Whether the program at <paramref name="path"/> (absolute, as <see cref="FindProgram"/> gives
    /// it) is one of the profile's apps: an identifier with a slash is an absolute path and must be
    /// the program's, one without names the program's file (<c>curl</c> is any curl).
    /// </summary>
    public static bool Allows(DeviceProfile profile, string path)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string file = Path.GetFileName(path);
        return profile.PerAppIdentifiers.Any(app => app.Contains('/', StringComparison.Ordinal)
            ? string.Equals(app, path, StringComparison.Ordinal)
            : string.Equals(app, file, StringComparison.Ordinal));
    }

    /// <summary>The absolute path of <paramref name="command"/> as the shell finds it (a name searched on <paramref name="searchPath"/>), or null.</summary>
    public static string? FindProgram(string command, string? searchPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        if (command.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(command) ? Path.GetFullPath(command) : null;
        }

        foreach (string folder in (searchPath ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, command);
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        return null;
    }
}
