using System.Globalization;
using System.Runtime.InteropServices;
using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Report;

/// <summary>Reads what the JSON records about the machine and the tools' versions.</summary>
internal static class MachineProbe
{
    public static MachineInfo Machine()
    {
        string cpu = Lines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        string? memTotal = Lines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        double memoryGib = memTotal is not null && long.TryParse(memTotal.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], NumberStyles.None, CultureInfo.InvariantCulture, out long kib)
            ? kib / 1024.0 / 1024.0
            : 0;
        string os = Lines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') ?? RuntimeInformation.OSDescription;
        string kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "unknown";
        return new MachineInfo(Environment.ProcessorCount, cpu, Math.Round(memoryGib, 1), kernel, os);
    }

    /// <summary>The first line each tool prints for its version, and the OpenTunnel build and .NET runtime.</summary>
    public static IReadOnlyDictionary<string, string> Versions(string openTunnelVersion) => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["opentunnel"] = openTunnelVersion,
        ["dotnet"] = RuntimeInformation.FrameworkDescription,
        ["ocserv"] = ToolVersion("ocserv", "--version"),
        ["openconnect"] = ToolVersion("openconnect", "--version"),
        ["iperf3"] = ToolVersion("iperf3", "--version"),
        ["nftables"] = ToolVersion("nft", "--version"),
    };

    private static string ToolVersion(string command, string argument)
    {
        if (Prerequisites.FindOnPath(command) is null)
        {
            return "not installed";
        }

        var result = Command.Run(command, argument);
        string text = result.StandardOutput.Length > 0 ? result.StandardOutput : result.StandardError;
        return text.Split('\n', 2)[0].Trim();
    }

    private static IEnumerable<string> Lines(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}
