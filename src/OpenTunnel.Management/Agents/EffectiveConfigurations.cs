using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// Puts together what a site's gateways run: the site's server configuration, the site's probe
/// URL and the deployment's gateway token settings (with the CA pin of <see cref="GatewayIssuerTrust"/>), scoped to the site: its gateways take only
/// tokens issued for it, so one site's conditional access never opens another's gateways. The ETag reads
/// "CONFIGURATION-VERSION.SITE-VERSION.HASH": the versions an administrator recognises, and a
/// hash of the whole document, so that any change (also of the token settings) gives a new one.
/// </summary>
public static class EffectiveConfigurations
{
    /// <summary>
    /// <paramref name="peers"/>: the other servers of the site as <see cref="SitePeers"/> published
    /// them, given to the gateway when the configuration has load balancing set.
    /// </summary>
    public static EffectiveConfiguration Build(Site site, ServerConfiguration configuration, GatewayAuthOptions auth, GatewayIssuerTrust issuerTrust, IReadOnlyList<PeerConfiguration>? peers = null)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(auth);
        ArgumentNullException.ThrowIfNull(issuerTrust);
        var tunnel = new TunnelConfiguration(
            configuration.Ipv4Range,
            configuration.Ipv6Range,
            configuration.DnsServers,
            configuration.DnsSuffixes,
            configuration.SplitDnsDomains,
            configuration.IncludeRoutes,
            configuration.ExcludeRoutes,
            configuration.Port,
            configuration.UdpDisabled,
            configuration.SessionTimeoutMinutes,
            configuration.IdleTimeoutMinutes,
            configuration.AllowClientToClient,
            configuration.GroupPolicies is { Count: > 0 } groups
                ? groups.ConvertAll(g => new GroupPolicyConfiguration(g.Group, g.IncludeRoutes ?? [], g.ExcludeRoutes ?? [], g.ReplaceRoutes, g.DnsServers ?? [], g.DnsSuffix))
                : null,
            configuration.UnmanagedAccess is { } unmanaged
                ? new UnmanagedAccessConfiguration(unmanaged.IncludeRoutes ?? [], unmanaged.DnsServers ?? [], unmanaged.DnsSuffix)
                : null);
        GatewayAuthConfiguration? gatewayAuth = auth.Issuer is null
            ? null
            : new GatewayAuthConfiguration(
                auth.Issuer,
                auth.Audience ?? string.Empty,
                auth.MetadataAddress,
                auth.RequireHttpsMetadata,
                auth.RequiredClaims.ConvertAll(c => new RequiredClaimConfiguration(c.Claim, c.AnyOf)),
                // The embedded identity provider names the site by id in the token's site claim
                // (conditional access resolves a site named by id or name to its id).
                auth.RequireSite ? site.Id.ToString() : null,
                auth.ValidTypes.Count > 0 ? auth.ValidTypes : null,
                issuerTrust.CaPin);
        var document = new EffectiveConfiguration(
            string.Empty, site.Id, site.Name, site.Version, configuration.Id, configuration.Name, configuration.Version, tunnel, gatewayAuth, site.InternalProbeUrl,
            configuration.LoadBalancing is { } balancing ? new LoadBalancingConfiguration(balancing.Mode, balancing.ThresholdPercent, peers ?? []) : null);
        byte[] hash = SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(document, AgentJson.Options));
        string etag = string.Create(CultureInfo.InvariantCulture, $"{configuration.Version}.{site.Version}.{Convert.ToHexStringLower(hash, 0, 6)}");
        return document with { ETag = etag };
    }
}
