namespace OpenTunnel.Testing;

/// <summary>
/// Checks what a test needs from the machine. A missing prerequisite fails the test with a
/// message that says what to install; tests never skip silently.
/// </summary>
public static class Prerequisites
{
    /// <summary>The Debian package that brings each command the tests use.</summary>
    private static readonly Dictionary<string, string> PackageOf = new(StringComparer.Ordinal)
    {
        ["ip"] = "iproute2",
        ["ss"] = "iproute2",
        ["nft"] = "nftables",
        ["openconnect"] = "openconnect",
        ["iperf3"] = "iperf3",
        ["curl"] = "curl",
        ["ping"] = "iputils-ping",
        ["ocserv"] = "ocserv",
    };

    /// <summary>Fails unless the test runs as root and every command is on the PATH.</summary>
    public static void RequireRootAndCommands(params string[] commands)
    {
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root" && !IsRoot())
        {
            throw new PrerequisiteMissingException("This test needs root (network namespaces, TUN devices): run the test command as root.");
        }

        foreach (string command in commands)
        {
            if (FindOnPath(command) is null)
            {
                string package = PackageOf.GetValueOrDefault(command, command);
                throw new PrerequisiteMissingException(
                    $"This test needs '{command}', which is not installed: apt-get install {package} (the README's test command installs it).");
            }
        }
    }

    /// <summary>The full path of <paramref name="command"/> on the PATH (and the sbin folders), or null.</summary>
    public static string? FindOnPath(string command)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        IEnumerable<string> folders = path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        foreach (string folder in folders)
        {
            string candidate = Path.Combine(folder, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsRoot()
    {
        // /proc/self/status carries "Uid: real effective saved fs".
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 2 && fields[2] == "0";
            }
        }

        return false;
    }
}

/// <summary>The machine lacks something a test needs; the message says what to install.</summary>
public sealed class PrerequisiteMissingException : Exception
{
    public PrerequisiteMissingException(string message)
        : base(message)
    {
    }

    public PrerequisiteMissingException()
    {
    }

    public PrerequisiteMissingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
