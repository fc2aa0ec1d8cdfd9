using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OpenTunnel.Management.Tests.Harness;

/// <summary>What a test looks at in an answer: status, ETag, content type and the JSON body.</summary>
public sealed record ApiResponse(HttpStatusCode Status, string? ETag, string? ContentType, JsonElement Json, string Body)
{
    public string Id => Json.GetProperty("id").GetString()!;

    /// <summary>The messages a validation problem gives for <paramref name="field"/>; fails the test if there are none.</summary>
    public string[] ErrorsFor(string field)
    {
        Assert.True(Json.TryGetProperty("errors", out JsonElement errors), $"No validation errors in: {Body}");
        Assert.True(errors.TryGetProperty(field, out JsonElement messages), $"No error for '{field}' in: {Body}");
        return [.. messages.EnumerateArray().Select(m => m.GetString()!)];
    }
}

public static class ApiClientExtensions
{
    public static async Task<ApiResponse> SendAsync(this HttpClient client, HttpMethod method, string url, object? body = null, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = body is string raw
                ? new StringContent(raw, System.Text.Encoding.UTF8, "application/json")
                : JsonContent.Create(body);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using HttpResponseMessage response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonElement json = text.Length > 0 && text[0] is '{' or '[' or '"' ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return new ApiResponse(response.StatusCode, response.Headers.ETag?.ToString(), response.Content.Headers.ContentType?.MediaType, json, text);
    }

    public static Task<ApiResponse> ReadAsync(this HttpClient client, string url) => client.SendAsync(HttpMethod.Get, url);

    /// <summary>POSTs <paramref name="body"/> and asserts a 400 validation problem that names <paramref name="field"/>.</summary>
    public static async Task<ApiResponse> AssertInvalidAsync(this HttpClient client, string url, object body, string field)
    {
        ApiResponse refused = await client.SendAsync(HttpMethod.Post, url, body);
        Assert.True(refused.Status == HttpStatusCode.BadRequest, $"POST {url} answered {(int)refused.Status}: {refused.Body}");
        Assert.Equal("application/problem+json", refused.ContentType);
        Assert.NotEmpty(refused.ErrorsFor(field));
        return refused;
    }

    /// <summary>POSTs and asserts 201 with an ETag.</summary>
    public static async Task<ApiResponse> CreateAsync(this HttpClient client, string url, object body)
    {
        ApiResponse response = await client.SendAsync(HttpMethod.Post, url, body);
        Assert.True(response.Status == HttpStatusCode.Created, $"POST {url} answered {(int)response.Status}: {response.Body}");
        return response;
    }
}
