namespace OpenTunnel.Agent.Protocol;

/// <summary>
/// What one gateway of a site must run: the site's server configuration, the site's settings
/// and the access-token settings of the deployment. <see cref="ETag"/> changes whenever any
/// part changes; the agent reports it back as applied or refused.
/// </summary>
public sealed record EffectiveConfiguration(
    string ETag,
    Guid SiteId,
    string SiteName,
    long SiteVersion,
    Guid ServerConfigurationId,
    string ServerConfigurationName,
    long ServerConfigurationVersion,
    TunnelConfiguration Tunnel,
    GatewayAuthConfiguration? Auth,
    string? InternalProbeUrl,
    LoadBalancingConfiguration? LoadBalancing = null);

/// <summary>
/// Load-aware sign-in (the gateway's LoadBalancing section): the site's mode ("off" or "redirect")
/// and threshold, and the other servers of the site with their load as the management service
/// last published it. Null when the site's configuration has none: the gateway's own file decides.
/// </summary>
public sealed record LoadBalancingConfiguration(string Mode, int ThresholdPercent, IReadOnlyList<PeerConfiguration> Peers);

/// <summary>One other server of the site: where clients reach it directly, its sessions and CPU at its last report, and whether it can take sign-ins.</summary>
public sealed record PeerConfiguration(string Address, int Sessions, double? CpuPercent, bool Healthy, bool Draining, DateTime ReportedAt);

/// <summary>The server configuration's settings as the gateway applies them.</summary>
public sealed record TunnelConfiguration(
    string Ipv4Range,
    string? Ipv6Range,
    IReadOnlyList<string> DnsServers,
    IReadOnlyList<string> DnsSuffixes,
    IReadOnlyList<string> SplitDnsDomains,
    IReadOnlyList<string> IncludeRoutes,
    IReadOnlyList<string> ExcludeRoutes,
    int Port,
    bool UdpDisabled,
    int? SessionTimeoutMinutes,
    int IdleTimeoutMinutes,
    bool AllowClientToClient,
    IReadOnlyList<GroupPolicyConfiguration>? GroupPolicies = null,
    UnmanagedAccessConfiguration? UnmanagedAccess = null);

/// <summary>
/// What sessions of unmanaged devices (tokens with compliance "unmanaged") may reach: the gateway's
/// Network:UnmanagedAccess. Null: the gateway refuses such tokens.
/// </summary>
public sealed record UnmanagedAccessConfiguration(
    IReadOnlyList<string> IncludeRoutes,
    IReadOnlyList<string> DnsServers,
    string? DnsSuffix);

/// <summary>The routes and DNS of one group's members (the gateway's Network:GroupPolicies entry).</summary>
public sealed record GroupPolicyConfiguration(
    string Group,
    IReadOnlyList<string> IncludeRoutes,
    IReadOnlyList<string> ExcludeRoutes,
    bool ReplaceRoutes,
    IReadOnlyList<string> DnsServers,
    string? DnsSuffix);

/// <summary>
/// The access-token check every gateway of the deployment applies. Null in the effective
/// configuration when the management service has none configured: gateways keep their own.
/// </summary>
/// <param name="Issuer">The <c>iss</c> tokens must carry.</param>
/// <param name="Audience">The value <c>aud</c> must contain.</param>
/// <param name="MetadataAddress">The discovery document; null: the issuer's.</param>
/// <param name="RequireHttpsMetadata">Refuse metadata over plain http.</param>
/// <param name="RequiredClaims">Claims every token must carry.</param>
/// <param name="RequiredSite">The site whose tokens alone the gateway takes (its id, as the <c>site</c> claim carries it); null: no site check.</param>
/// <param name="ValidTypes">Accepted token types (JOSE <c>typ</c>); null: the gateway's default.</param>
/// <param name="CaPin">
/// The pin (<c>pin-sha256:</c>) of the CA the issuer's HTTPS certificate must chain to when the
/// gateway fetches discovery and keys (the gateway's <c>Auth:CaPin</c>): the deployment's CA when
/// the issuer is the embedded identity provider served with the deployment's certificate; null:
/// the gateway's own trust (its <c>Auth:CaFile</c>, or the system's trust store).
/// </param>
public sealed record GatewayAuthConfiguration(
    string Issuer,
    string Audience,
    string? MetadataAddress,
    bool RequireHttpsMetadata,
    IReadOnlyList<RequiredClaimConfiguration> RequiredClaims,
    string? RequiredSite = null,
    IReadOnlyList<string>? ValidTypes = null,
    string? CaPin = null);

/// <summary>A claim tokens must carry; empty <see cref="AnyOf"/> means any non-empty value.</summary>
public sealed record RequiredClaimConfiguration(string Claim, IReadOnlyList<string> AnyOf);

/// <summary>
/// The answer to a poll: a configuration when its ETag differs from the agent's, whether the
/// server is to drain, and commands not yet delivered.
/// </summary>
public sealed record AgentPoll(EffectiveConfiguration? Configuration, bool Drain, IReadOnlyList<AgentCommandMessage> Commands);

/// <summary>Body of POST /agent/v1/configuration-report: what became of one configuration version.</summary>
/// <param name="ETag">The <see cref="EffectiveConfiguration.ETag"/> the report is about.</param>
/// <param name="ServerConfigurationVersion">The <see cref="EffectiveConfiguration.ServerConfigurationVersion"/> of that version.</param>
/// <param name="Applied">True when the gateway runs it; false when it refused it, and <paramref name="Error"/> says why.</param>
/// <param name="Error">Why the gateway refused it.</param>
/// <param name="Note">Something the administrator should know about an applied version (for example a change that waits for a restart).</param>
/// <param name="At">When the agent applied it or saw it refused (UTC).</param>
public sealed record ConfigurationReport(string? ETag, long ServerConfigurationVersion, bool Applied, string? Error, string? Note, DateTime At);
