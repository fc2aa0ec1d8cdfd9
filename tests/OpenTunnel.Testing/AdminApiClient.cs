using System.Net.Http.Json;
using System.Text.Json;

namespace OpenTunnel.Testing;

/// <summary>
/// The management service's REST API as tests use it: JSON in and out, writes with the ETag of a
/// fresh read in If-Match, and an answer outside 2xx thrown with its body, so the failing test
/// shows what the service said.
/// </summary>
public sealed class AdminApiClient(HttpClient client)
{
    public HttpClient Http { get; } = client;

    public Task<JsonElement> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null, ifMatch: false);

    public Task<JsonElement> PostAsync(string path, object body) => SendAsync(HttpMethod.Post, path, body, ifMatch: false);

    /// <summary>PUT with the object's current ETag (read first).</summary>
    public Task<JsonElement> PutAsync(string path, object body) => SendAsync(HttpMethod.Put, path, body, ifMatch: true);

    /// <summary>DELETE with the object's current ETag (read first).</summary>
    public Task<JsonElement> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null, ifMatch: true);

    /// <summary>Reads <paramref name="path"/> until <paramref name="done"/> holds, or throws saying what was last seen.</summary>
    public Task<JsonElement> WaitForAsync(string path, Func<JsonElement, bool> done, TimeSpan timeout, string what) =>
        Poll.UntilAsync(() => GetAsync(path), done, timeout, last => $"{what}. Last answer of {path}: {last}");

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, bool ifMatch)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (ifMatch)
        {
            using HttpResponseMessage read = await Http.GetAsync(path);
            request.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag?.ToString());
        }

        using HttpResponseMessage response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
