using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Contracts.Network;

namespace OpenTunnel.Gateway.Configuration;

/// <summary>
/// Checks a whole <see cref="GatewayOptions"/> without touching the machine. The network rules
/// (ranges, addresses, DNS names, client pools, split routes) are those of
/// <c>OpenTunnel.Gateway.Contracts.Network</c>, the same code the management service runs before
/// it stores a server configuration, so what management accepts the gateway accepts. Every
/// message starts with the setting's name (Section:Setting, as in the JSON file and the
/// OPENTUNNEL_GATEWAY_Section__Setting variables) and says what is wrong.
/// </summary>
public static class GatewayOptionsValidator
{
    /// <summary>openconnect and AnyConnect clients handle a few hundred routes; ocserv documents the same bound.</summary>
    public const int MaxSplitRoutes = 500;

    public const int MaxBannerLength = 2000;

    /// <summary>Linux interface names have at most 15 characters (IFNAMSIZ - 1).</summary>
    public const int MaxInterfaceNameLength = 15;

    public static IReadOnlyList<string> Validate(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory) || !Path.IsPathFullyQualified(options.DataDirectory))
        {
            errors.Add($"DataDirectory must be an absolute path (got '{options.DataDirectory}').");
        }

        if (options.Banner is { Length: > MaxBannerLength })
        {
            errors.Add($"Banner must be at most {MaxBannerLength} characters (got {options.Banner.Length}).");
        }

        ValidateListener(options.Listener, errors);
        ValidateTls(options.Tls, errors);
        ValidateNetwork(options.Network, errors);
        ValidateTimeouts(options.Timeouts, errors);
        ValidateLimits(options.Limits, errors);
        if (options.Control.SocketPath is { } socket && !Path.IsPathFullyQualified(socket))
        {
            errors.Add($"Control:SocketPath must be an absolute path (got '{socket}').");
        }

        if (!string.IsNullOrEmpty(options.Metrics.Address) && !IPEndPoint.TryParse(options.Metrics.Address, out _))
        {
            errors.Add($"Metrics:Address must be address:port with a literal IP address, for example 127.0.0.1:9464 (got '{options.Metrics.Address}').");
        }

        errors.AddRange(options.Udp.Validate());
        errors.AddRange(options.Auth.Validate());
        ValidateBrowserSignIn(errors, options.BrowserSignIn);
        ValidateLoadBalancing(options.LoadBalancing, errors);
        return errors;
    }

    private static void ValidateListener(ListenerOptions listener, List<string> errors)
    {
        if (!IPAddress.TryParse(listener.Address, out _))
        {
            errors.Add($"Listener:Address must be a literal IP address such as 0.0.0.0 or :: (got '{listener.Address}').");
        }

        AddIfOutside(errors, "Listener:Port", listener.Port, 1, 65535);
    }

    private static void ValidateTls(TlsOptions tls, List<string> errors)
    {
        if (tls.ExpiryWarningDays is < 1 or > 365)
        {
            errors.Add($"Tls:ExpiryWarningDays must be 1 to 365 (got {tls.ExpiryWarningDays}).");
        }

        if (tls.CertificateFile is null)
        {
            if (tls.KeyFile is not null)
            {
                errors.Add("Tls:KeyFile is set but Tls:CertificateFile is not: set both, or neither for a self-signed certificate.");
            }

            return;
        }

        if (!Path.IsPathFullyQualified(tls.CertificateFile))
        {
            errors.Add($"Tls:CertificateFile must be an absolute path (got '{tls.CertificateFile}').");
        }

        if (tls.KeyFile is not null && !Path.IsPathFullyQualified(tls.KeyFile))
        {
            errors.Add($"Tls:KeyFile must be an absolute path (got '{tls.KeyFile}').");
        }

        if (tls.KeyFile is not null && IsPfx(tls.CertificateFile))
        {
            errors.Add("Tls:KeyFile must not be set with a PFX certificate: the key is inside the PFX.");
        }
    }

    /// <summary>True when the certificate file is PKCS#12 by its extension (.pfx or .p12).</summary>
    public static bool IsPfx(string path) =>
        path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);

    private static void ValidateNetwork(NetworkOptions network, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(network.TunDevice) || network.TunDevice.Length > MaxInterfaceNameLength
            || network.TunDevice.AsSpan().ContainsAny(" /:\t"))
        {
            errors.Add($"Network:TunDevice must be an interface name of 1 to {MaxInterfaceNameLength} characters without spaces, '/' or ':' (got '{network.TunDevice}').");
        }

        IPNetwork? pool = null;
        if (ClientPool.TryParse(network.IPv4Pool, AddressFamily.InterNetwork, out var parsedPool) is { } poolProblem)
        {
            errors.Add($"Network:IPv4Pool {poolProblem}");
        }
        else if (NetworkSyntax.Overlap(parsedPool, IPv4AddressPool.LinkLocal) && new IPv4AddressPool(parsedPool).Capacity == 0)
        {
            errors.Add($"Network:IPv4Pool {parsedPool} holds no address a client may lease: in a link-local pool the first and last /24 of 169.254.0.0/16 and of the pool, and 169.254.169.0/24, are never leased. Use a /22 or larger, or another range.");
        }
        else
        {
            pool = parsedPool;
        }

        IPNetwork? pool6 = null;
        if (network.IPv6Pool is not null)
        {
            if (ClientPool.TryParse(network.IPv6Pool, AddressFamily.InterNetworkV6, out var parsed6) is { } problem6)
            {
                errors.Add($"Network:IPv6Pool {problem6}");
            }
            else
            {
                pool6 = parsed6;
            }
        }

        if (network.DnsServers.Count > Protocol.Tunnel.ConnectResponse.MaxDnsServers)
        {
            errors.Add($"Network:DnsServers lists {network.DnsServers.Count} servers; clients take at most {Protocol.Tunnel.ConnectResponse.MaxDnsServers}.");
        }

        for (int i = 0; i < network.DnsServers.Count; i++)
        {
            if (!NetworkSyntax.TryParseAddress(network.DnsServers[i], out _))
            {
                errors.Add($"Network:DnsServers:{i} '{network.DnsServers[i]}' is not an IP address.");
            }
        }

        if (network.DefaultDomain is not null && !NetworkSyntax.IsDomainName(network.DefaultDomain))
        {
            errors.Add($"Network:DefaultDomain '{network.DefaultDomain}' is not a DNS domain name.");
        }

        for (int i = 0; i < network.SplitDns.Count; i++)
        {
            if (!NetworkSyntax.IsDomainName(network.SplitDns[i]))
            {
                errors.Add($"Network:SplitDns:{i} '{network.SplitDns[i]}' is not a DNS domain name.");
            }
        }

        int routes = network.SplitInclude.Count + network.SplitExclude.Count;
        if (routes > MaxSplitRoutes)
        {
            errors.Add($"Network:SplitInclude and Network:SplitExclude hold {routes} routes together; at most {MaxSplitRoutes} are allowed.");
        }

        foreach (string setting in (ReadOnlySpan<string>)["Network:SplitInclude", "Network:SplitExclude"])
        {
            SplitRoutes.Check(
                setting == "Network:SplitInclude" ? network.SplitInclude : network.SplitExclude,
                [pool, pool6],
                i => string.Create(CultureInfo.InvariantCulture, $"{setting}:{i}"),
                (i, problem) => errors.Add(string.Create(CultureInfo.InvariantCulture, $"{setting}:{i} {problem}")));
        }

        AddIfOutside(errors, "Network:Mtu", network.Mtu, Protocol.Tunnel.TunnelMtu.MinimumSaneLinkMtu, 9000);
        AddIfOutside(errors, "Network:TunQueueLength", network.TunQueueLength, 100, 1_000_000);
        for (int i = 0; i < network.EgressInterfaces.Count; i++)
        {
            string name = network.EgressInterfaces[i];
            if (string.IsNullOrWhiteSpace(name) || name.Length > MaxInterfaceNameLength || name.AsSpan().ContainsAny(" /:\t\"'"))
            {
                errors.Add($"Network:EgressInterfaces:{i} '{name}' is not an interface name.");
            }
        }

        ValidateGroupPolicies(network, [pool, pool6], errors);
        ValidateUnmanagedAccess(network, [pool, pool6], errors);
        if (network.RestrictToRoutes && !network.ManageFirewall)
        {
            errors.Add("Network:RestrictToRoutes needs Network:ManageFirewall: the routes are enforced in the gateway's nftables table.");
        }

        if (string.IsNullOrEmpty(network.NftablesTable) || !IsIdentifier(network.NftablesTable))
        {
            errors.Add($"Network:NftablesTable must be letters, digits and '_' (got '{network.NftablesTable}').");
        }
    }

    /// <summary>
    /// Each group as the network's own lists, once per name; and the routes a member of every
    /// listed group would get (their union with the defaults) within <see cref="MaxSplitRoutes"/>.
    /// </summary>
    private static void ValidateGroupPolicies(NetworkOptions network, IPNetwork?[] pools, List<string> errors)
    {
        if (network.GroupPolicies.Count == 0)
        {
            return;
        }

        if (!network.ManageFirewall)
        {
            errors.Add("Network:GroupPolicies needs Network:ManageFirewall: each session's routes are enforced in the gateway's nftables table.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var includes = new List<IReadOnlyList<IPNetwork>> { RouteUnion.Parse(network.SplitInclude) };
        var excludes = new List<IReadOnlyList<IPNetwork>> { RouteUnion.Parse(network.SplitExclude) };
        for (int g = 0; g < network.GroupPolicies.Count; g++)
        {
            GroupPolicyOptions policy = network.GroupPolicies[g];
            string prefix = string.Create(CultureInfo.InvariantCulture, $"Network:GroupPolicies:{g}");
            if (string.IsNullOrWhiteSpace(policy.Group))
            {
                errors.Add($"{prefix}:Group must name a group (a value of the token's groups claim).");
            }
            else if (!names.Add(policy.Group))
            {
                errors.Add($"{prefix}:Group '{policy.Group}' is listed twice; give each group one policy.");
            }

            ValidateRoutesAndDns(prefix, policy.SplitInclude, policy.SplitExclude, policy.DnsServers, policy.DefaultDomain, pools, errors);
            includes.Add(RouteUnion.Parse(policy.SplitInclude));
            excludes.Add(RouteUnion.Parse(policy.SplitExclude));
        }

        int union = RouteUnion.Of(includes).Count + RouteUnion.Of(excludes).Count;
        if (union > MaxSplitRoutes)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"Network:GroupPolicies give a member of every group {union} routes (include and exclude, with the defaults); at most {MaxSplitRoutes} are allowed."));
        }
    }

    /// <summary>
    /// The routes of unmanaged devices' sessions: at least one (none would mean all traffic), by the
    /// rules of a group policy's, within <see cref="MaxSplitRoutes"/>.
    /// </summary>
    private static void ValidateUnmanagedAccess(NetworkOptions network, IPNetwork?[] pools, List<string> errors)
    {
        if (network.UnmanagedAccess is not { } access)
        {
            return;
        }

        const string Prefix = "Network:UnmanagedAccess";
        if (!network.ManageFirewall)
        {
            errors.Add($"{Prefix} needs Network:ManageFirewall: the routes of unmanaged devices are enforced in the gateway's nftables table.");
        }

        if (access.SplitInclude.Count == 0)
        {
            errors.Add($"{Prefix}:SplitInclude must list at least one network: the only destinations an unmanaged device may reach.");
        }
        else if (access.SplitInclude.Count > MaxSplitRoutes)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{Prefix}:SplitInclude holds {access.SplitInclude.Count} routes; at most {MaxSplitRoutes} are allowed."));
        }

        ValidateRoutesAndDns(Prefix, access.SplitInclude, [], access.DnsServers, access.DefaultDomain, pools, errors);
    }

    /// <summary>The routes, DNS servers and DNS suffix of a group policy or of unmanaged access, by the network's own rules.</summary>
    private static void ValidateRoutesAndDns(string prefix, IReadOnlyList<string> include, IReadOnlyList<string> exclude, IReadOnlyList<string> dnsServers, string? defaultDomain,
        IPNetwork?[] pools, List<string> errors)
    {
        foreach (string list in (ReadOnlySpan<string>)["SplitInclude", "SplitExclude"])
        {
            string setting = $"{prefix}:{list}";
            SplitRoutes.Check(
                list == "SplitInclude" ? include : exclude,
                pools,
                i => string.Create(CultureInfo.InvariantCulture, $"{setting}:{i}"),
                (i, problem) => errors.Add(string.Create(CultureInfo.InvariantCulture, $"{setting}:{i} {problem}")));
        }

        if (dnsServers.Count > Protocol.Tunnel.ConnectResponse.MaxDnsServers)
        {
            errors.Add($"{prefix}:DnsServers lists {dnsServers.Count} servers; clients take at most {Protocol.Tunnel.ConnectResponse.MaxDnsServers}.");
        }

        for (int i = 0; i < dnsServers.Count; i++)
        {
            if (!NetworkSyntax.TryParseAddress(dnsServers[i], out _))
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix}:DnsServers:{i} '{dnsServers[i]}' is not an IP address."));
            }
        }

        if (defaultDomain is not null && !NetworkSyntax.IsDomainName(defaultDomain))
        {
            errors.Add($"{prefix}:DefaultDomain '{defaultDomain}' is not a DNS domain name.");
        }
    }

    private static void ValidateTimeouts(TimeoutOptions timeouts, List<string> errors)
    {
        AddIfOutside(errors, "Timeouts:KeepaliveSeconds", timeouts.KeepaliveSeconds, 0, 86400);
        AddIfOutside(errors, "Timeouts:DpdSeconds", timeouts.DpdSeconds, 5, 3600);
        AddIfOutside(errors, "Timeouts:IdleTimeoutSeconds", timeouts.IdleTimeoutSeconds, 0, 604800);
        AddIfOutside(errors, "Timeouts:SessionTimeoutSeconds", timeouts.SessionTimeoutSeconds, 0, 604800);
        AddIfOutside(errors, "Timeouts:CookieTimeoutSeconds", timeouts.CookieTimeoutSeconds, 10, 86400);
    }

    private static void ValidateLimits(LimitOptions limits, List<string> errors)
    {
        AddIfOutside(errors, "Limits:MaxSessions", limits.MaxSessions, 1, 65535);
        AddIfOutside(errors, "Limits:MaxSessionsPerUser", limits.MaxSessionsPerUser, 0, 65535);
        AddIfOutside(errors, "Limits:AuthAttemptsPerMinute", limits.AuthAttemptsPerMinute, 0, 100000);
        AddIfOutside(errors, "Limits:SendQueuePackets", limits.SendQueuePackets, 16, 65536);
        AddIfOutside(errors, "Limits:PreAuthTimeoutSeconds", limits.PreAuthTimeoutSeconds, 5, 3600);
        AddIfOutside(errors, "Limits:MaxPreAuthConnections", limits.MaxPreAuthConnections, 1, 65535);
        AddIfOutside(errors, "Limits:MaxPreAuthPerAddress", limits.MaxPreAuthPerAddress, 1, 65535);
        if (limits.MaxPreAuthPerAddress > limits.MaxPreAuthConnections)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"Limits:MaxPreAuthPerAddress ({limits.MaxPreAuthPerAddress}) must not exceed Limits:MaxPreAuthConnections ({limits.MaxPreAuthConnections}): one address could then take the whole pre-authentication budget."));
        }

        AddIfOutside(errors, "Limits:BanScore", limits.BanScore, 0, 100000);
        AddIfOutside(errors, "Limits:BanPointsRefusedSignIn", limits.BanPointsRefusedSignIn, 0, 1000);
        AddIfOutside(errors, "Limits:BanPointsMalformedRequest", limits.BanPointsMalformedRequest, 0, 1000);
        AddIfOutside(errors, "Limits:BanScoreResetSeconds", limits.BanScoreResetSeconds, 1, 86400);
        AddIfOutside(errors, "Limits:BanSeconds", limits.BanSeconds, 1, 604800);
    }

    private static void ValidateLoadBalancing(LoadBalancingOptions balancing, List<string> errors)
    {
        if (!Enum.IsDefined(balancing.Mode))
        {
            errors.Add($"LoadBalancing:Mode must be Off or Redirect (got '{balancing.Mode}').");
        }

        AddIfOutside(errors, "LoadBalancing:ThresholdPercent", balancing.ThresholdPercent, 0, 1000);
        AddIfOutside(errors, "LoadBalancing:StaleSeconds", balancing.StaleSeconds, 10, 3600);
        for (int i = 0; i < balancing.Peers.Count; i++)
        {
            PeerOptions peer = balancing.Peers[i];
            string name = string.Create(CultureInfo.InvariantCulture, $"LoadBalancing:Peers:{i}");
            if (PeerAddress.TryParse(peer.Address, out _, out _) is { } problem)
            {
                errors.Add($"{name}:Address {problem}");
            }

            if (peer.Sessions < 0)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name}:Sessions must not be negative (got {peer.Sessions})."));
            }

            if (peer.CpuPercent is { } cpu && (double.IsNaN(cpu) || cpu is < 0 or > 100))
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name}:CpuPercent must be from 0 to 100 (got {cpu})."));
            }
        }
    }

    /// <summary>The browser sign-in's settings, checked only when it is on.</summary>
    private static void ValidateBrowserSignIn(List<string> errors, BrowserSignInOptions browser)
    {
        if (!browser.Enabled)
        {
            return;
        }

        const string prefix = BrowserSignInOptions.SectionName + ":";
        CheckEndpoint(errors, prefix + nameof(BrowserSignInOptions.AuthorizationEndpoint), browser.AuthorizationEndpoint, browser.RequireHttps);
        CheckEndpoint(errors, prefix + nameof(BrowserSignInOptions.TokenEndpoint), browser.TokenEndpoint, browser.RequireHttps);
        if (!Uri.TryCreate(browser.PublicUrl, UriKind.Absolute, out Uri? publicUrl) || publicUrl.Scheme != Uri.UriSchemeHttps || publicUrl.AbsolutePath != "/" || publicUrl.Query.Length > 0)
        {
            errors.Add($"{prefix}{nameof(BrowserSignInOptions.PublicUrl)} must be the gateway's absolute https URL without a path, as browsers reach it (got '{browser.PublicUrl}').");
        }

        if (string.IsNullOrWhiteSpace(browser.ClientId))
        {
            errors.Add($"{prefix}{nameof(BrowserSignInOptions.ClientId)} must name the gateway's client registration at the identity provider.");
        }

        if (string.IsNullOrWhiteSpace(browser.Scope))
        {
            errors.Add($"{prefix}{nameof(BrowserSignInOptions.Scope)} must list the scopes to ask for (got an empty value).");
        }

        AddIfOutside(errors, prefix + nameof(BrowserSignInOptions.AttemptSeconds), browser.AttemptSeconds, 30, 3600);
        AddIfOutside(errors, prefix + nameof(BrowserSignInOptions.TokenSeconds), browser.TokenSeconds, 5, 300);
        AddIfOutside(errors, prefix + nameof(BrowserSignInOptions.TokenRequestTimeoutSeconds), browser.TokenRequestTimeoutSeconds, 1, 60);
    }

    private static void CheckEndpoint(List<string> errors, string setting, string? value, bool requireHttps)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add($"{setting} must be an absolute https URL (got '{value}').");
        }
        else if (requireHttps && uri.Scheme != Uri.UriSchemeHttps)
        {
            errors.Add($"{setting} uses http; use https, or set {BrowserSignInOptions.SectionName}:{nameof(BrowserSignInOptions.RequireHttps)} to false (tests and loopback only).");
        }
    }

    private static void AddIfOutside(List<string> errors, string setting, int value, int minimum, int maximum)
    {
        if (value < minimum || value > maximum)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{setting} must be from {minimum} to {maximum} (got {value})."));
        }
    }

    private static bool IsIdentifier(string name)
    {
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
