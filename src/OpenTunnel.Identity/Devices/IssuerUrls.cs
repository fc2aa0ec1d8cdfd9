using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OpenTunnel.Identity.Settings;

namespace OpenTunnel.Identity.Devices;

/// <summary>
/// Absolute URLs of the provider's endpoints as clients must name them in a device assertion's
/// <c>aud</c>: under <c>Identity:Issuer</c> when set, else under this request's scheme and host.
/// </summary>
public sealed class IssuerUrls(IOptions<IdentityProviderOptions> options)
{
    public string Of(HttpContext http, string path)
    {
        ArgumentNullException.ThrowIfNull(http);
        string issuer = options.Value.Issuer ?? $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
        return issuer.TrimEnd('/') + path;
    }
}
