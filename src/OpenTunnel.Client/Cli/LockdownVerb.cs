using OpenTunnel.Client.HostNetwork;
using OpenTunnel.Client.Lockdown;
using OpenTunnel.CommandLine;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel lockdown (status | off)</c>: whether the kill switch of an always-on profile with
/// lockdown (<see cref="LockdownRuleset"/>) is on, and turning it off. <c>connect PROFILE</c> turns
/// it on and, when the user stops the connection, off; when the connection fails or the client is
/// killed it stays, and only this verb (or the profile's next stop) removes it.
/// </summary>
public static class LockdownVerb
{
    public static Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        try
        {
            switch (arguments.Positional)
            {
                case "status":
                    environment.Out.WriteLine(LockdownFirewall.IsOn()
                        ? $"Lockdown is on: table {LockdownRuleset.Family} {LockdownRuleset.Table} lets out only the tunnel, the gateway, the management service, loopback, DHCP and neighbour discovery ('nft list table {LockdownRuleset.Family} {LockdownRuleset.Table}' shows the rules and the drop count)."
                        : "Lockdown is off.");
                    return Task.FromResult(ExitCodes.Success);
                case "off":
                    environment.Out.WriteLine(LockdownFirewall.Disable(environment.State.LockdownFile)
                        ? $"Lockdown is off: table {LockdownRuleset.Family} {LockdownRuleset.Table} deleted."
                        : "Lockdown was not on.");
                    return Task.FromResult(ExitCodes.Success);
                default:
                    throw new UsageException($"'lockdown' needs 'status' or 'off'{(arguments.Positional is { } word ? $", not '{word}'" : string.Empty)}.");
            }
        }
        catch (HostCommandException e)
        {
            environment.Error.WriteLine(e.Message);
            return Task.FromResult(ExitCodes.OsError);
        }
    }
}
