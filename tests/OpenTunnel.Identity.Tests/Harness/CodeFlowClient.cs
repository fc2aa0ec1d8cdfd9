using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Web;
using Microsoft.IdentityModel.Tokens;

namespace OpenTunnel.Identity.Tests.Harness;

/// <summary>The web console's side of the authorization code flow with PKCE (RFC 7636), posting the sign-in form as a browser would.</summary>
public sealed class CodeFlowClient(HttpClient http, OidcClient oidc)
{
    public const string ConsoleClient = "opentunnel-console";

    public string Verifier { get; } = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public string Challenge => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));

    public Dictionary<string, string> AuthorizationParameters() => new()
    {
        ["client_id"] = ConsoleClient,
        ["response_type"] = "code",
        ["redirect_uri"] = IdentityFixture.ConsoleRedirectUri,
        ["scope"] = "openid profile",
        ["state"] = "state-1",
        ["code_challenge"] = Challenge,
        ["code_challenge_method"] = "S256",
    };

    /// <summary>Shows the sign-in page, posts the credentials, and returns the code from the redirect.</summary>
    public async Task<string> SignInAsync(string userName, string password)
    {
        string query = string.Join('&', AuthorizationParameters().Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        using HttpResponseMessage page = await http.GetAsync("/connect/authorize?" + query);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("name=\"password\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Dictionary<string, string> form = AuthorizationParameters();
        form["username"] = userName;
        form["password"] = password;
        using HttpResponseMessage redirect = await http.PostAsync("/connect/authorize", new FormUrlEncodedContent(form));
        Assert.True(redirect.StatusCode == HttpStatusCode.Redirect, $"Sign-in answered {(int)redirect.StatusCode}: {await redirect.Content.ReadAsStringAsync()}");
        Uri location = redirect.Headers.Location!;
        Assert.StartsWith(IdentityFixture.ConsoleRedirectUri, location.ToString(), StringComparison.Ordinal);
        var parameters = HttpUtility.ParseQueryString(location.Query);
        Assert.Equal("state-1", parameters["state"]);
        return parameters["code"]!;
    }

    public Task<TokenResponse> RedeemAsync(string code, string? verifier = null) => oidc.TokenAsync(new Dictionary<string, string>
    {
        ["grant_type"] = "authorization_code",
        ["code"] = code,
        ["redirect_uri"] = IdentityFixture.ConsoleRedirectUri,
        ["client_id"] = ConsoleClient,
        ["code_verifier"] = verifier ?? Verifier,
    });
}
