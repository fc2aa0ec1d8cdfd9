using System.Diagnostics;
using System.Net;

namespace OpenTunnel.Gateway.Firewall;

/// <summary>
/// Applies the gateway's nftables table with <c>nft -f -</c> and turns IPv4 forwarding on in the
/// gateway's network namespace; on stop it removes exactly that table and puts forwarding back
/// as it found it. Nothing else of the host's firewall is touched.
/// </summary>
public sealed class NftablesFirewall
{
    private const string ForwardingPath = "/proc/sys/net/ipv4/ip_forward";
    private readonly string _table;
    private string? _forwardingBefore;
    private bool _installed;

    public NftablesFirewall(string table)
    {
        _table = table;
    }

    /// <summary>The name of the table (family inet) this firewall owns.</summary>
    public string Table => _table;

    /// <summary>Installs or replaces the table. Throws <see cref="InvalidOperationException"/> with nft's message when it refuses.</summary>
    public void Apply(string tunDevice, IPNetwork pool, IReadOnlyList<string> egressInterfaces, bool allowClientToClient)
    {
        if (_forwardingBefore is null)
        {
            _forwardingBefore = File.ReadAllText(ForwardingPath).Trim();
            if (_forwardingBefore != "1")
            {
                File.WriteAllText(ForwardingPath, "1");
            }
        }

        RunNft(NftablesRuleset.Build(_table, tunDevice, pool, egressInterfaces, allowClientToClient));
        _installed = true;
    }

    /// <summary>Removes the table and restores forwarding; safe to call more than once.</summary>
    public void Remove()
    {
        if (_installed)
        {
            _installed = false;
            RunNft(NftablesRuleset.Remove(_table));
        }

        if (_forwardingBefore is { } before && before != "1")
        {
            File.WriteAllText(ForwardingPath, before);
        }

        _forwardingBefore = null;
    }

    private static void RunNft(string script)
    {
        var info = new ProcessStartInfo("nft", ["-f", "-"])
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

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardInput.Write(script);
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(15)))
            {
                process.Kill();
                throw new InvalidOperationException("nft did not finish within 15 s.");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"nft refused the ruleset (exit {process.ExitCode}): {stderr.Result.Trim()}");
            }
        }
    }
}
