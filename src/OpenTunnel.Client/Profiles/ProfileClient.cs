using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OpenTunnel.Client.Oidc;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Profiles;

/// <summary>An answer of the profiles endpoint: the list and its ETag, or "not modified" (the list sent in If-None-Match is current).</summary>
public sealed record ProfileFetch(bool NotModified, DeviceProfileList? List, string? ETag);

/// <summary>
/// <c>GET /api/v1/me/profiles?platform=linux</c> at the management service with the user's token
/// for it (<see cref="DeviceProfileRoutes"/>), sending the last ETag in If-None-Match.
/// </summary>
public sealed class ProfileClient(ProviderClient provider)
{
    public async Task<ProfileFetch> FetchAsync(Uri server, string accessToken, string? etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        var url = new Uri(server, $"{DeviceProfileRoutes.Path.TrimStart('/')}?{DeviceProfileRoutes.PlatformParameter}=linux");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        using HttpResponseMessage response = await provider.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return new ProfileFetch(true, null, etag);
        }

        if (!response.IsSuccessStatusCode)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            bool refused = (int)response.StatusCode is >= 400 and < 500;
            throw new ProviderException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}: {(body.Length > 300 ? body[..300] : body)}", refused);
        }

        try
        {
            DeviceProfileList list = await response.Content.ReadFromJsonAsync(ProfileJson.Default.DeviceProfileList, cancellationToken)
                ?? throw new JsonException("null");
            return new ProfileFetch(false, list, response.Headers.ETag?.ToString());
        }
        catch (JsonException e)
        {
            throw new ProviderException($"{url} answered without a profile list ({e.Message}).", refused: false);
        }
    }
}
