using System.Net;
using OpenTunnel.Client.HostNetwork;
using OpenTunnel.Client.State;

namespace OpenTunnel.Client.Lockdown;

/// <summary>
/// Puts the lockdown table (<see cref="LockdownRuleset"/>) into the kernel and takes it out, with
/// <c>nft</c>. The ruleset is written to <c>lockdown.nft</c> in the state directory first, so the
/// file shows what is enforced; nothing else of the machine's firewall is touched.
/// </summary>
public static class LockdownFirewall
{
    /// <summary>Installs (or replaces) the table; throws <see cref="HostCommandException"/> with nft's message when it refuses.</summary>
    public static void Enable(string rulesetFile, string device, IReadOnlyCollection<IPAddress> allowed)
    {
        string script = LockdownRuleset.Build(device, allowed);
        ClientStateDirectory.WriteSecret(rulesetFile, script);
        HostCommands.Nft(["-f", rulesetFile]);
    }

    /// <summary>Whether the table is in the kernel (of this network namespace).</summary>
    public static bool IsOn()
    {
        try
        {
            HostCommands.Nft(["list", "table", LockdownRuleset.Family, LockdownRuleset.Table]);
            return true;
        }
        catch (HostCommandException)
        {
            return false;
        }
    }

    /// <summary>Deletes the table and the ruleset file; false when the table was not there.</summary>
    public static bool Disable(string rulesetFile)
    {
        bool on = IsOn();
        if (on)
        {
            HostCommands.Nft(["delete", "table", LockdownRuleset.Family, LockdownRuleset.Table]);
        }

        File.Delete(rulesetFile);
        return on;
    }

    /// <summary>The addresses of <paramref name="host"/> (an address as it is, a name resolved now, before the table blocks DNS).</summary>
    public static IReadOnlyList<IPAddress> Addresses(string host)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        string bare = host.Trim('[', ']');
        return IPAddress.TryParse(bare, out IPAddress? address) ? [address] : Dns.GetHostAddresses(bare);
    }
}
