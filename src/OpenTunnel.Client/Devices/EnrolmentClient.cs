using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpenTunnel.Client.Oidc;
using OpenTunnel.Client.Posture;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Devices;

/// <summary>
/// Device enrolment and posture reports at the management service, in the identity provider's
/// contract (<see cref="DeviceEnrolmentRoutes"/>): <c>POST /api/v1/device-enrolment</c> with the
/// user's token, <c>PUT …/{id}/posture</c> with a <c>Device-Assertion</c> whose <c>aud</c> is the
/// posture URL under the issuer.
/// </summary>
public sealed class EnrolmentClient(ProviderClient provider)
{
    public async Task<DeviceEnrolmentResponse> EnrolAsync(Uri server, string accessToken, DevicePosture posture, Dictionary<string, string> publicJwk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(posture);
        DeviceEnrolmentRequest body = posture.Request(JsonSerializer.SerializeToElement(publicJwk, EnrolmentJson.Default.DictionaryStringString));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, DeviceEnrolmentRoutes.Path.TrimStart('/'))) { Content = JsonContent.Create(body, EnrolmentJson.Default.DeviceEnrolmentRequest) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await SendAsync(request, "enrolment", cancellationToken);
    }

    public async Task<DeviceEnrolmentResponse> ReportAsync(Uri server, Guid deviceId, string assertion, DevicePosture posture, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(posture);
        using var request = new HttpRequestMessage(HttpMethod.Put, DeviceEnrolmentRoutes.PostureUrl(server.ToString(), deviceId)) { Content = JsonContent.Create(posture.Request(), EnrolmentJson.Default.DeviceEnrolmentRequest) };
        request.Headers.Add(DeviceEnrolmentRoutes.AssertionHeader, assertion);
        return await SendAsync(request, "posture report", cancellationToken);
    }

    private async Task<DeviceEnrolmentResponse> SendAsync(HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await provider.SendAsync(request, cancellationToken);
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonElement json;
        try
        {
            json = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            throw new ProviderException($"The {what} answered {(int)response.StatusCode} {response.ReasonPhrase} with something that is not JSON.", refused: false);
        }

        if (!response.IsSuccessStatusCode)
        {
            // 4xx is the service refusing this device or request (RFC 9457 problem details); 5xx is the service failing.
            bool refused = (int)response.StatusCode is >= 400 and < 500;
            throw new ProviderException($"The {what} was refused ({(int)response.StatusCode}): {Problem(json)}", refused);
        }

        try
        {
            return json.Deserialize(EnrolmentJson.Default.DeviceEnrolmentResponse)
                ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new ProviderException($"The {what} answered without a device verdict ({e.Message}).", refused: false);
        }
    }

    /// <summary>A problem document's title, detail and field errors in one line.</summary>
    private static string Problem(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            return json.GetRawText();
        }

        var text = new StringBuilder();
        foreach (string field in (string[])["title", "detail"])
        {
            if (json.TryGetProperty(field, out JsonElement value) && value.ValueKind == JsonValueKind.String)
            {
                text.Append(text.Length > 0 ? " " : "").Append(value.GetString());
            }
        }

        if (json.TryGetProperty("errors", out JsonElement errors) && errors.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty error in errors.EnumerateObject())
            {
                text.Append(' ').Append(error.Name).Append(": ").Append(string.Join(" ", error.Value.EnumerateArray().Select(e => e.GetString())));
            }
        }

        return text.Length > 0 ? text.ToString() : json.GetRawText();
    }
}
