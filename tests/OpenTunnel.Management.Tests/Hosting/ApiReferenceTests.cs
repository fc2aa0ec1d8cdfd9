using System.Net;
using System.Text.RegularExpressions;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Hosting;

/// <summary>The API reference page (Scalar) made from the OpenAPI document, served by the service itself.</summary>
[Trait("Category", "Integration")]
public sealed partial class ApiReferenceTests(SqliteApp fixture) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task ReferencePage_ReadsTheOpenApiDocument_WithItsScriptFromThisService()
    {
        using HttpResponseMessage page = await fixture.Anonymous.GetAsync("/scalar");
        string html = await page.Content.ReadAsStringAsync();
        string script = ScriptSource().Match(html).Groups[1].Value;
        using HttpResponseMessage bundle = await fixture.Anonymous.GetAsync(new Uri(new Uri(fixture.Anonymous.BaseAddress!, "/scalar/"), script));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        // Scalar's script resolves the document's URL against the page's base: /openapi/v1.json.
        Assert.Contains("\"url\":\"openapi/v1.json\"", html, StringComparison.Ordinal);
        Assert.Contains("<title>OpenTunnel management API</title>", html, StringComparison.Ordinal);
        Assert.Contains("\"telemetry\":false", html, StringComparison.Ordinal);
        Assert.Contains("\"withDefaultFonts\":false", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("https?://", script);
        Assert.Equal(HttpStatusCode.OK, bundle.StatusCode);
        Assert.True((await bundle.Content.ReadAsByteArrayAsync()).Length > 100_000, "The page's script is not Scalar's bundle.");
    }

    [GeneratedRegex("<script[^>]*src=\"([^\"]+)\"")]
    private static partial Regex ScriptSource();
}
