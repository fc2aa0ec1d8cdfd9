using System.ComponentModel;
using System.Diagnostics;
using System.Net;

namespace OpenTunnel.Client.HostNetwork;

/// <summary>A host command (ip, resolvectl) failed; the message names the command and its error output.</summary>
public sealed class HostCommandException : Exception
{
    public HostCommandException(string message)
        : base(message)
    {
    }

    public HostCommandException()
    {
    }

    public HostCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The thin edge to the host's network configuration: iproute2's <c>ip</c> for routes and links,
/// <c>resolvectl</c> for per-link DNS when systemd-resolved runs.
/// </summary>
public static class HostCommands
{
    /// <summary>systemd-resolved's varlink socket: present while it runs (resolvectl talks to it).</summary>
    public const string ResolvedSocket = "/run/systemd/resolve/io.systemd.Resolve";

    public static bool ResolvedRuns => File.Exists(ResolvedSocket);

    /// <summary>The route the host uses now for <paramref name="destination"/>.</summary>
    public static HostRoute? PathTo(IPAddress destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var (code, output, _) = Run("ip", ["-j", "route", "get", destination.ToString()]);
        return code == 0 ? HostRoute.FromRouteGet(output, destination) : null;
    }

    /// <summary>Runs <c>ip ARGS</c>; throws naming the command when it fails.</summary>
    public static void Ip(IReadOnlyList<string> arguments) => Require("ip", arguments);

    /// <summary>Runs <c>ip ARGS</c> and ignores a failure (removing what may already be gone).</summary>
    public static void IpQuietly(IReadOnlyList<string> arguments) => _ = Run("ip", arguments);

    public static void Resolvectl(IReadOnlyList<string> arguments) => Require("resolvectl", arguments);

    /// <summary>Runs <c>nft ARGS</c> (the lockdown table); throws naming the command when it fails.</summary>
    public static void Nft(IReadOnlyList<string> arguments) => Require("nft", arguments);

    private static void Require(string program, IReadOnlyList<string> arguments)
    {
        var (code, _, error) = Run(program, arguments);
        if (code != 0)
        {
            throw new HostCommandException($"'{program} {string.Join(' ', arguments)}' failed ({code}): {error.Trim()}");
        }
    }

    private static (int Code, string Output, string Error) Run(string program, IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info) ?? throw new Win32Exception();
            Task<string> error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output, error.GetAwaiter().GetResult());
        }
        catch (Win32Exception)
        {
            throw new HostCommandException($"'{program}' is not installed: apt-get install {program switch { "ip" => "iproute2", "nft" => "nftables", _ => "systemd-resolved" }}.");
        }
    }
}
