using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.OnDemand;

/// <summary>What an on-demand rule asks for a name.</summary>
public enum OnDemandDecision
{
    /// <summary>No rule matches: the name is answered by the network's resolver and the tunnel stays as it is.</summary>
    None,

    /// <summary>Bring the tunnel up, then answer through the tunnel's DNS servers.</summary>
    Connect,

    /// <summary>Take the tunnel down, then answer through the network's resolver.</summary>
    Disconnect,

    /// <summary>Ask the network's resolver first; when it does not know the name, connect and ask through the tunnel.</summary>
    Evaluate,

    /// <summary>Leave the tunnel as it is; answer through the network's resolver.</summary>
    Ignore,
}

/// <summary>
/// The on-demand rules of a profile applied to DNS names, in the order the administrator gave them
/// (the first rule that matches decides, as iOS and macOS evaluate on-demand rules), and the
/// trusted-network check by DNS suffix.
/// </summary>
public static class OnDemandPolicy
{
    /// <summary>The decision of the first fqdns or domains rule that matches <paramref name="name"/>; ipRanges rules match addresses, not names.</summary>
    public static OnDemandDecision ForName(IReadOnlyList<DeviceOnDemandRule> rules, string name)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(name);
        string asked = name.TrimEnd('.');
        foreach (DeviceOnDemandRule rule in rules)
        {
            bool matches = rule.Match switch
            {
                "fqdns" => rule.Values.Any(v => string.Equals(v.TrimEnd('.'), asked, StringComparison.OrdinalIgnoreCase)),
                "domains" => rule.Values.Any(v => IsWithin(asked, v)),
                _ => false,
            };
            if (matches)
            {
                return Decision(rule.Action);
            }
        }

        return OnDemandDecision.None;
    }

    /// <summary>The first DNS suffix of the network (its search domains) that is one of <paramref name="trusted"/> or below one (without a final dot); null when none is.</summary>
    public static string? TrustedSuffix(IEnumerable<string> networkSuffixes, IReadOnlyList<string> trusted)
    {
        ArgumentNullException.ThrowIfNull(networkSuffixes);
        ArgumentNullException.ThrowIfNull(trusted);
        return networkSuffixes.Select(s => s.TrimEnd('.')).FirstOrDefault(suffix => trusted.Any(t => IsWithin(suffix, t)));
    }

    /// <summary>Whether the profile has rules that act on names (the stub has something to do).</summary>
    public static bool ActsOnNames(IReadOnlyList<DeviceOnDemandRule> rules) =>
        rules.Any(r => r.Match is "fqdns" or "domains" && r.Action is "connect" or "evaluate" or "disconnect");

    /// <summary><paramref name="name"/> is <paramref name="domain"/> or a name below it.</summary>
    private static bool IsWithin(string name, string domain)
    {
        string d = domain.TrimEnd('.');
        return string.Equals(name, d, StringComparison.OrdinalIgnoreCase)
            || (name.Length > d.Length && name.EndsWith(d, StringComparison.OrdinalIgnoreCase) && name[name.Length - d.Length - 1] == '.');
    }

    private static OnDemandDecision Decision(string action) => action switch
    {
        "connect" => OnDemandDecision.Connect,
        "disconnect" => OnDemandDecision.Disconnect,
        "evaluate" => OnDemandDecision.Evaluate,
        "ignore" => OnDemandDecision.Ignore,
        _ => OnDemandDecision.None,
    };
}
