using System.Globalization;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Profiles;

/// <summary>
/// A profile's proxy as environment variables for a command (<c>opentunnel run</c>): a host and
/// port become <c>http_proxy</c>/<c>https_proxy</c> (and the upper-case forms, which some tools
/// read instead) with the exclusions in <c>no_proxy</c>; a PAC URL becomes <c>auto_proxy</c>, a
/// convention only some programs follow (the environment has no standard variable for a PAC file).
/// </summary>
public static class ProxyEnvironment
{
    public static IReadOnlyDictionary<string, string> For(DeviceProxy? proxy)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        if (proxy is null)
        {
            return variables;
        }

        if (proxy.PacUrl is { } pac)
        {
            variables["auto_proxy"] = pac;
        }
        else if (proxy.Host is { } host && proxy.Port is { } port)
        {
            // UriBuilder puts an IPv6 address in brackets.
            string url = new UriBuilder(Uri.UriSchemeHttp, host, port).Uri.ToString();
            foreach (string name in (string[])["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"])
            {
                variables[name] = url;
            }
        }

        if (proxy.Exclusions.Count > 0)
        {
            // curl, wget and Python read a leading dot as "this domain and below", the PAC list's "*.domain".
            string bypass = string.Join(",", proxy.Exclusions.Select(e => e.StartsWith("*.", StringComparison.Ordinal) ? e[1..] : e));
            variables["no_proxy"] = bypass;
            variables["NO_PROXY"] = bypass;
        }

        return variables;
    }

    /// <summary>One line for people: "PAC URL", or "host:port, bypassing a, b", or "none".</summary>
    public static string Describe(DeviceProxy? proxy) => proxy switch
    {
        null => "none",
        { PacUrl: { } pac } => $"PAC {pac}",
        _ => string.Create(CultureInfo.InvariantCulture, $"{proxy.Host}:{proxy.Port}") + (proxy.Exclusions.Count > 0 ? $", bypassing {string.Join(", ", proxy.Exclusions)}" : string.Empty),
    };
}
