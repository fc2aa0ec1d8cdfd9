using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

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
public static partial class HostCommands
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

    /// <summary>
    /// Runs several <c>ip</c> commands in one process (<c>ip -batch -</c>): one start instead of one
    /// per route, which a connect waits for and which counts with 500 split routes. Stops at the
    /// first that fails and throws naming it. A leading family option (<c>-4</c>, <c>-6</c>) is
    /// left out, which batch lines do not take: ip reads the family from the addresses.
    /// </summary>
    public static void IpBatch(IReadOnlyList<IReadOnlyList<string>> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        switch (commands.Count)
        {
            case 0:
                return;
            case 1:
                Ip(commands[0]);
                return;
        }

        string[] lines = [.. commands.Select(BatchLine)];

        var (code, _, error) = Run("ip", ["-batch", "-"], string.Join('\n', lines) + "\n");
        if (code != 0)
        {
            var failed = FailedBatchLine().Match(error);
            string which = failed.Success && int.TryParse(failed.Groups[1].ValueSpan, out int line) && line >= 1 && line <= lines.Length
                ? lines[line - 1]
                : "-batch";
            throw new HostCommandException($"'ip {which}' failed ({code}): {error.Trim()}");
        }
    }

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

    private static string BatchLine(IReadOnlyList<string> arguments)
    {
        var words = arguments.SkipWhile(a => a is "-4" or "-6").ToList();
        if (words.Count == 0 || words.Any(w => w.Length == 0 || w.Any(char.IsWhiteSpace)))
        {
            throw new ArgumentException($"'ip {string.Join(' ', arguments)}' cannot be a batch line.", nameof(arguments));
        }

        return string.Join(' ', words);
    }

    private static (int Code, string Output, string Error) Run(string program, IReadOnlyList<string> arguments, string? input = null)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info) ?? throw new Win32Exception();
            if (input is not null)
            {
                process.StandardInput.Write(input);
                process.StandardInput.Close();
            }

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

    /// <summary>How <c>ip -batch</c> names the line that failed: "Command failed -:3".</summary>
    [GeneratedRegex(@"Command failed -:(\d+)")]
    private static partial Regex FailedBatchLine();
}
