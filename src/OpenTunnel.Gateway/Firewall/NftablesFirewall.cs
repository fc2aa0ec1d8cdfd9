using System.Diagnostics;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Gateway.Firewall;

/// <summary>
/// Applies the gateway's nftables table with <c>nft -f -</c> and turns IPv4 (and, with an IPv6
/// pool, IPv6) forwarding on in the gateway's network namespace; on stop it removes exactly that table and puts forwarding back
/// as it found it. Nothing else of the host's firewall is touched. The values found are recorded in
/// a file (before forwarding is switched on) and the file is deleted on stop: a gateway started
/// again after a crash (SIGKILL, no stop) finds forwarding on, left by the crashed one, and takes the
/// values to restore from the file instead, so its own stop still puts back what the host had.
/// </summary>
public sealed class NftablesFirewall
{
    private const string ForwardingPath = "/proc/sys/net/ipv4/ip_forward";
    private const string Forwarding6Path = "/proc/sys/net/ipv6/conf/all/forwarding";
    private readonly string _table;
    private readonly string? _recordFile;
    private string? _forwardingBefore;
    private string? _forwarding6Before;
    private bool _installed;
    private string? _baseScript;

    /// <param name="table">The inet table this firewall owns.</param>
    /// <param name="recordFile">Where the forwarding values found are recorded until the stop (the data directory's <c>forwarding-before</c>); null records nothing.</param>
    public NftablesFirewall(string table, string? recordFile = null)
    {
        _table = table;
        _recordFile = recordFile;
    }

    /// <summary>The name of the table (family inet) this firewall owns.</summary>
    public string Table => _table;

    /// <summary>
    /// Installs or replaces the table, with the elements of <paramref name="sessions"/> in its
    /// per-session sets; does nothing and returns false when the table-wide policy is the one
    /// installed (the caller then updates the sessions' elements on their own). Throws
    /// <see cref="InvalidOperationException"/> with nft's message when it refuses.
    /// </summary>
    public bool Apply(FirewallPolicy policy, IReadOnlyCollection<SessionRules>? sessions = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        string baseScript = NftablesRuleset.Build(_table, policy);
        if (_installed && baseScript == _baseScript)
        {
            return false;
        }

        string script = sessions is { Count: > 0 } ? NftablesRuleset.Build(_table, policy, sessions) : baseScript;

        _forwardingBefore ??= EnableForwarding(ForwardingPath);
        if (policy.Pool6 is not null)
        {
            _forwarding6Before ??= EnableForwarding(Forwarding6Path);
        }

        RunNft(script);
        _baseScript = baseScript;
        _installed = true;
        return true;
    }

    /// <summary>Runs an nft script against the installed table (a session's elements); nothing for an empty one.</summary>
    public void Run(string script)
    {
        if (_installed && script.Length > 0)
        {
            RunNft(script);
        }
    }

    /// <summary>
    /// <see cref="Run"/> without holding the caller's thread while nft works: a session's CONNECT or
    /// end may run on a socket-engine thread, which every connection's reads need (docs/gateway.md,
    /// "Runtime settings"). The caller goes on on the thread pool once nft has exited.
    /// </summary>
    public async Task RunAsync(string script)
    {
        if (_installed && script.Length > 0)
        {
            await RunNftAsync(Nft, script);
        }
    }

    /// <summary>Removes the table and restores forwarding; safe to call more than once.</summary>
    public void Remove()
    {
        if (_installed)
        {
            _installed = false;
            RunNft(NftablesRuleset.Remove(_table));
        }

        RestoreForwarding(ForwardingPath, _forwardingBefore);
        RestoreForwarding(Forwarding6Path, _forwarding6Before);
        _forwardingBefore = null;
        _forwarding6Before = null;
        if (_recordFile is not null)
        {
            File.Delete(_recordFile);
        }
    }

    /// <summary>
    /// Switches a forwarding sysctl on and returns the value to restore: the one recorded by a run
    /// that did not stop, else the one it has now (recorded before it is changed).
    /// </summary>
    private string EnableForwarding(string path)
    {
        Dictionary<string, string> recorded = ReadRecord();
        if (!recorded.TryGetValue(path, out string? before))
        {
            before = File.ReadAllText(path).Trim();
            if (_recordFile is not null)
            {
                recorded[path] = before;
                OwnerOnlyFiles.WriteAtomically(_recordFile, string.Concat(recorded.Select(r => $"{r.Key}={r.Value}\n")));
            }
        }

        if (File.ReadAllText(path).Trim() != "1")
        {
            File.WriteAllText(path, "1");
        }

        return before;
    }

    /// <summary>The record file's lines <c>sysctl path=value</c>; empty without a file.</summary>
    private Dictionary<string, string> ReadRecord()
    {
        var recorded = new Dictionary<string, string>(StringComparer.Ordinal);
        if (_recordFile is not null && File.Exists(_recordFile))
        {
            foreach (string line in File.ReadAllLines(_recordFile))
            {
                int equals = line.LastIndexOf('=');
                if (equals > 0)
                {
                    recorded[line[..equals]] = line[(equals + 1)..].Trim();
                }
            }
        }

        return recorded;
    }

    private static void RestoreForwarding(string path, string? before)
    {
        if (before is not null && before != "1")
        {
            File.WriteAllText(path, before);
        }
    }

    /// <summary>The nftables program, found on the PATH.</summary>
    private const string Nft = "nft";

    /// <summary>How long nft may take before it is killed and its script counts as refused.</summary>
    private static readonly TimeSpan NftTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The table's install and a reload's changes wait for nft on the caller's thread (never a socket-engine thread).</summary>
    private static void RunNft(string script) => RunNftAsync(Nft, script).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="script"/> with <paramref name="nft"/> (a program name or path); throws <see cref="InvalidOperationException"/> as <see cref="Run"/> does.</summary>
    internal static async Task RunNftAsync(string nft, string script)
    {
        // Off the caller's thread before the process starts: the start itself takes a fork.
        await Task.Yield();
        (Process process, Task<string> stderr) = StartNft(nft, script);
        using (process)
        {
            using var timeout = new CancellationTokenSource(NftTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw new InvalidOperationException($"nft did not finish within {NftTimeout.TotalSeconds:0} s.");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"nft refused the ruleset (exit {process.ExitCode}): {(await stderr).Trim()}");
            }
        }
    }

    private static (Process Process, Task<string> Stderr) StartNft(string nft, string script)
    {
        var info = new ProcessStartInfo(nft, ["-f", "-"])
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("nft could not be started.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"nft could not be started ({e.Message}): install nftables, or set Network:ManageFirewall to false.", e);
        }

        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(script);
        process.StandardInput.Close();
        return (process, stderr);
    }
}
