using OpenTunnel.Gateway.Contracts.Network;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Validation;

/// <summary>Checks a VPN profile before it is stored.</summary>
public static class VpnProfileValidator
{
    /// <summary>The shortest idle time: shorter, a tunnel would drop between two requests of one page.</summary>
    public const int MinimumIdleSeconds = 10;

    /// <summary>The longest idle time: one day.</summary>
    public const int MaximumIdleSeconds = 86_400;

    public static ValidationErrors Validate(VpnProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var errors = new ValidationErrors();
        errors.RequireName("name", profile.Name);
        errors.RequireId("siteId", profile.SiteId, "is required: a profile connects to one site.");
        for (int i = 0; i < profile.PerAppIdentifiers.Count; i++)
        {
            string app = profile.PerAppIdentifiers[i];
            if (string.IsNullOrWhiteSpace(app) || app.Length > 255 || app.Any(char.IsWhiteSpace))
            {
                errors.Add($"perAppIdentifiers[{i}]", $"'{app}' is not an application identifier (1 to 255 characters, no spaces).");
            }
        }

        if (profile.Lockdown && !profile.AlwaysOn)
        {
            errors.Add("lockdown", "needs alwaysOn: a kill switch on a connection that is not kept up would cut the device off whenever it is not connected.");
        }

        for (int i = 0; i < profile.OnDemandRules.Count; i++)
        {
            ValidateRule(errors, $"onDemandRules[{i}]", profile.OnDemandRules[i]);
        }

        if (profile.TrustedNetwork is { } trusted)
        {
            ValidateTrustedNetwork(errors, trusted, profile.OnDemandRules.Count > 0);
        }

        if (profile.OnDemandIdleSeconds is { } idle)
        {
            errors.RequireRange("onDemandIdleSeconds", idle, MinimumIdleSeconds, MaximumIdleSeconds);
            if (profile.OnDemandRules.Count == 0)
            {
                errors.Add("onDemandIdleSeconds", "is set but the profile has no onDemandRules: the idle time applies to tunnels that on-demand rules brought up.");
            }
        }

        if (profile.Proxy is { } proxy)
        {
            ValidateProxy(errors, proxy);
        }

        for (int i = 0; i < profile.AssignedGroupIds.Count; i++)
        {
            errors.RequireId($"assignedGroupIds[{i}]", profile.AssignedGroupIds[i], "is not a group id.");
        }

        return errors;
    }

    private static void ValidateRule(ValidationErrors errors, string field, OnDemandRule rule)
    {
        if (rule.Values is null || rule.Values.Count == 0)
        {
            errors.Add($"{field}.values", "is empty; a rule matches at least one value.");
            return;
        }

        for (int i = 0; i < rule.Values.Count; i++)
        {
            string value = rule.Values[i];
            string? problem = rule.Match switch
            {
                OnDemandMatch.Fqdns => NetworkSyntax.IsFqdn(value) ? null : $"'{value}' is not a fully qualified domain name.",
                OnDemandMatch.Domains => NetworkSyntax.IsDomainName(value) ? null : $"'{value}' is not a DNS domain name.",
                _ => NetworkSyntax.TryParseCidr(value, out _),
            };
            if (problem is not null)
            {
                errors.Add($"{field}.values[{i}]", problem);
            }
        }
    }

    private static void ValidateTrustedNetwork(ValidationErrors errors, TrustedNetworkDetection trusted, bool hasRules)
    {
        List<string> suffixes = trusted.DnsSuffixes ?? [];
        if (!hasRules)
        {
            errors.Add("trustedNetwork", "is set but the profile has no onDemandRules: a trusted network only keeps on-demand rules from connecting.");
        }

        if (suffixes.Count == 0 && trusted.ProbeUrl is null)
        {
            errors.Add("trustedNetwork", "names no DNS suffix and no probe URL; give dnsSuffixes, or a probeUrl with its probeStatus.");
        }

        for (int i = 0; i < suffixes.Count; i++)
        {
            if (!NetworkSyntax.IsDomainName(suffixes[i]))
            {
                errors.Add($"trustedNetwork.dnsSuffixes[{i}]", $"'{suffixes[i]}' is not a DNS domain name.");
            }
        }

        if (trusted.ProbeUrl is { } url)
        {
            errors.RequireHttpUrl("trustedNetwork.probeUrl", url);
            if (trusted.ProbeStatus is not { } status)
            {
                errors.Add("trustedNetwork.probeStatus", "is required with a probe URL: the HTTP status the URL answers on the trusted network.");
            }
            else
            {
                errors.RequireRange("trustedNetwork.probeStatus", status, 100, 599);
            }
        }
        else if (trusted.ProbeStatus is not null)
        {
            errors.Add("trustedNetwork.probeStatus", "is set without a probeUrl; the status goes with a URL.");
        }
    }

    private static void ValidateProxy(ValidationErrors errors, ProxySettings proxy)
    {
        if ((proxy.PacUrl is null) == (proxy.Host is null))
        {
            errors.Add("proxy", "names either a PAC URL or a host and port, not both and not neither.");
            return;
        }

        if (proxy.PacUrl is { } pac)
        {
            errors.RequireHttpUrl("proxy.pacUrl", pac);
            if (proxy.Port is not null)
            {
                errors.Add("proxy.port", "is set with a PAC URL; a port goes with a host.");
            }
        }
        else
        {
            if (!NetworkSyntax.TryParseAddress(proxy.Host, out _) && !NetworkSyntax.IsDomainName(proxy.Host))
            {
                errors.Add("proxy.host", $"'{proxy.Host}' is neither an IP address nor a host name.");
            }

            if (proxy.Port is not { } port)
            {
                errors.Add("proxy.port", "is required with a proxy host.");
            }
            else
            {
                errors.RequireRange("proxy.port", port, 1, 65_535);
            }
        }

        List<string> exclusions = proxy.Exclusions ?? [];
        for (int i = 0; i < exclusions.Count; i++)
        {
            // Exclusions are host names, "*.domain" wildcards or addresses, as in a PAC bypass list.
            string entry = exclusions[i];
            string name = entry.StartsWith("*.", StringComparison.Ordinal) ? entry[2..] : entry;
            if (!NetworkSyntax.IsDomainName(name) && !NetworkSyntax.TryParseAddress(entry, out _) && NetworkSyntax.TryParseCidr(entry, out _) is not null)
            {
                errors.Add($"proxy.exclusions[{i}]", $"'{entry}' is not a host name, *.domain wildcard, address or range.");
            }
        }
    }
}
