namespace OpenTunnel.Identity.Contracts.Devices;

/// <summary>
/// <c>GET /api/v1/me/profiles[?platform=linux]</c>: the VPN profiles of the signed-in user (those
/// assigned to one of the user's groups), with a user token for the management service (scope
/// <c>opentunnel.device</c>). The answer carries an ETag; a request with it in If-None-Match gets
/// 304 while nothing the list shows has changed.
/// </summary>
public static class DeviceProfileRoutes
{
    public const string Path = "/api/v1/me/profiles";

    /// <summary>The query parameter that keeps the profiles of one platform (linux, windows, macOS, ios, android).</summary>
    public const string PlatformParameter = "platform";
}

/// <summary>The answer: the user's profiles, by name.</summary>
public sealed record DeviceProfileList(IReadOnlyList<DeviceProfile> Profiles);

/// <summary>
/// What a device needs of a profile to act on it: where to connect (the site's public address and
/// the gateways' port) and the profile's settings. Enumerations are camel-case strings, as in the
/// administration API. <see cref="Lockdown"/> (with <see cref="AlwaysOn"/>) asks the device for a
/// kill switch while the profile is connected; an answer of an older service without it reads as false.
/// <see cref="TrustedNetwork"/> and <see cref="OnDemandIdleSeconds"/> go with the on-demand rules
/// (null: no network is trusted; the tunnel stays up until a disconnect rule).
/// </summary>
public sealed record DeviceProfile(
    Guid Id,
    string Name,
    string? Description,
    string Platform,
    DeviceProfileSite Site,
    IReadOnlyList<string> PerAppIdentifiers,
    bool AlwaysOn,
    IReadOnlyList<DeviceOnDemandRule> OnDemandRules,
    DeviceProxy? Proxy,
    bool Lockdown = false,
    DeviceTrustedNetwork? TrustedNetwork = null,
    int? OnDemandIdleSeconds = null);

/// <summary>
/// A trusted network, where on-demand rules connect nothing: the network's DNS suffix is one of
/// <see cref="DnsSuffixes"/>, or <see cref="ProbeUrl"/> answers with <see cref="ProbeStatus"/>.
/// </summary>
public sealed record DeviceTrustedNetwork(IReadOnlyList<string> DnsSuffixes, string? ProbeUrl, int? ProbeStatus);

/// <summary>The site a profile connects to: its name (the token's <c>site</c> parameter), its public address and the gateways' TLS/DTLS port.</summary>
public sealed record DeviceProfileSite(Guid Id, string Name, string PublicAddress, int Port);

/// <summary>An on-demand rule: match (fqdns, domains, ipRanges), values, action (connect, disconnect, evaluate, ignore).</summary>
public sealed record DeviceOnDemandRule(string Match, IReadOnlyList<string> Values, string Action);

/// <summary>A proxy: a PAC file URL, or a host and port with the hosts that bypass it.</summary>
public sealed record DeviceProxy(string? PacUrl, string? Host, int? Port, IReadOnlyList<string> Exclusions);
