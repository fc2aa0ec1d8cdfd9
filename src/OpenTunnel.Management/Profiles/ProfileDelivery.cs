using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Net.Http.Headers;
using OpenTunnel.Identity.Contracts.Devices;
using OpenTunnel.Management.Api;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Profiles;

/// <summary>
/// Which VPN profiles a user receives on a device, and what of them the device sees: the profiles
/// assigned to one of the user's groups, with the site's public address and the gateways' port.
/// The ETag is a hash of the whole answer, so that any change a device would see (a profile's
/// settings, its assignment, the user's groups, the site's address or port) gives a new one.
/// </summary>
public static class ProfileDelivery
{
    /// <summary>The profiles assigned to one of <paramref name="user"/>'s groups (of <paramref name="platform"/> when given), by name.</summary>
    public static List<VpnProfile> AssignedTo(User user, IEnumerable<VpnProfile> profiles, Domain.Platform? platform)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(profiles);
        var groups = user.GroupIds.ToHashSet();
        return [.. profiles
            .Where(p => (platform is null || p.Platform == platform) && p.AssignedGroupIds.Exists(groups.Contains))
            .OrderBy(p => p.Name, StringComparer.Ordinal)];
    }

    /// <summary>The answer for <paramref name="profiles"/>; every profile's site and that site's configuration must be in the dictionaries.</summary>
    public static DeviceProfileList Describe(
        IEnumerable<VpnProfile> profiles, IReadOnlyDictionary<Guid, Site> sites, IReadOnlyDictionary<Guid, ServerConfiguration> configurations)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(sites);
        ArgumentNullException.ThrowIfNull(configurations);
        return new DeviceProfileList([.. profiles.Select(p =>
        {
            Site site = sites[p.SiteId];
            return new DeviceProfile(
                p.Id,
                p.Name,
                p.Description,
                Camel(p.Platform),
                new DeviceProfileSite(site.Id, site.Name, site.PublicAddress, configurations[site.ServerConfigurationId].Port),
                p.PerAppIdentifiers,
                p.AlwaysOn,
                [.. p.OnDemandRules.Select(r => new DeviceOnDemandRule(Camel(r.Match), r.Values, Camel(r.Action)))],
                p.Proxy is { } proxy ? new DeviceProxy(proxy.PacUrl, proxy.Host, proxy.Port, proxy.Exclusions ?? []) : null,
                p.Lockdown,
                p.TrustedNetwork is { } trusted ? new DeviceTrustedNetwork(trusted.DnsSuffixes ?? [], trusted.ProbeUrl, trusted.ProbeStatus) : null,
                p.OnDemandIdleSeconds);
        })]);
    }

    /// <summary>A strong ETag: the first 16 hex digits of the SHA-256 of the answer as the API serialises it.</summary>
    public static string ETagOf(DeviceProfileList list) =>
        $"\"{Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(list, ApiJson.Options)), 0, 8)}\"";

    /// <summary>
    /// Whether If-None-Match names <paramref name="etag"/> (or is "*"), so the answer is 304. RFC 9110
    /// section 13.1.2: the weak comparison, so W/"x" matches "x".
    /// </summary>
    public static bool NotModified(string? ifNoneMatch, string etag)
    {
        if (string.IsNullOrWhiteSpace(ifNoneMatch) || !EntityTagHeaderValue.TryParseList([ifNoneMatch], out IList<EntityTagHeaderValue>? tags))
        {
            return false;
        }

        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Tag.Value == etag);
    }

    private static string Camel<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());
}
