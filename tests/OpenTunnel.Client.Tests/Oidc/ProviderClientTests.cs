using System.Net;
using System.Text;
using OpenTunnel.Client.Oidc;

namespace OpenTunnel.Client.Tests.Oidc;

[Trait("Category", "Unit")]
public sealed class ProviderClientTests
{
    [Fact]
    public async Task AuthorizeDeviceAsync_ServerErrorWithoutAnOAuthError_NamesTheHttpStatus()
    {
        // A canned answer stands in for the provider: a real one cannot be made to fail with a 500 on demand.
        using var http = new HttpClient(new CannedAnswer(HttpStatusCode.InternalServerError, """{"title":"An error occurred while processing your request.","status":500}"""));
        var client = new ProviderClient(http);
        var endpoints = new ProviderEndpoints("https://idp.example/", "https://idp.example/connect/device", "https://idp.example/connect/token");

        var refused = await Assert.ThrowsAsync<ProviderException>(() => client.AuthorizeDeviceAsync(endpoints, "openid", CancellationToken.None));

        Assert.Equal("The provider refused to start a sign-in for scope 'openid': HTTP 500 without an OAuth error", refused.Message);
    }

    private sealed class CannedAnswer(HttpStatusCode status, string json) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
    }
}
