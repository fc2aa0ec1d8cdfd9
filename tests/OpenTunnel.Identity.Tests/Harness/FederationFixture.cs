using System.Net;
using System.Web;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using OpenTunnel.Management.Tests.Harness;
using OpenTunnel.Trust;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Tests.Harness;

/// <summary>
/// Two instances of the identity provider, each a real management service over HTTPS on
/// 127.0.0.1 with its own database and CA: the upstream (an ordinary deployment, standing in for
/// Entra ID or Keycloak) and the downstream, which signs users in through the upstream
/// (Identity:Upstreams, local accounts off). The upstream has a confidential client for the
/// downstream (code flow with PKCE, refresh tokens) and the groups its users carry.
/// </summary>
public sealed class FederationFixture : IAsyncLifetime
{
    public const string UpstreamName = "corp";
    public const string ClientId = "opentunnel-downstream";
    public const string ClientSecret = "downstream secret 0123456789";

    /// <summary>Upstream group mapped to the downstream's allowed group.</summary>
    public const string MappedGroup = "engineering";

    /// <summary>Upstream group the mapping does not list.</summary>
    public const string UnmappedGroup = "contractors";

    /// <summary>Upstream group mapped to a name that is no group downstream.</summary>
    public const string MappedToNothing = "auditors";

    public HttpsIdentityFixture Upstream { get; } = new();

    public FederatedIdentityFixture Downstream { get; private set; } = null!;

    public Dictionary<string, string> UpstreamGroupIds { get; } = [];

    public async Task InitializeAsync()
    {
        await Upstream.InitializeAsync();
        foreach (string group in new[] { MappedGroup, UnmappedGroup, MappedToNothing })
        {
            UpstreamGroupIds[group] = (await Upstream.Admin.CreateAsync("/api/v1/groups", new { name = group })).Id;
        }

        Downstream = new FederatedIdentityFixture(Upstream.Issuer, Upstream.CaFile);
        await Downstream.InitializeAsync();

        // Registered at the upstream as an administrator registers a client at Keycloak or Entra ID.
        using IServiceScope scope = Upstream.App.Services.CreateScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        await applications.CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = ClientId,
            ClientSecret = ClientSecret,
            ClientType = ClientTypes.Confidential,
            DisplayName = "Downstream OpenTunnel",
            RedirectUris = { new Uri(Downstream.Issuer + "connect/upstream/callback") },
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        });
    }

    /// <summary>A user of the upstream, with a password, in the named upstream groups.</summary>
    public async Task<TestUser> CreateUpstreamUserAsync(params string[] groups)
    {
        string name = ManagementAppFixture.Unique("fed");
        ApiResponse user = await Upstream.Admin.CreateAsync("/api/v1/users", new
        {
            name,
            displayName = "Federated " + name,
            groupIds = groups.Select(g => UpstreamGroupIds[g]).ToArray(),
        });
        ApiResponse password = await Upstream.Admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user.Id}/password", new { password = IdentityFixture.Password });
        Assert.Equal(HttpStatusCode.NoContent, password.Status);
        return new TestUser(user.Id, name);
    }

    /// <summary>Changes an upstream user through the upstream's API (groups, enabled).</summary>
    public async Task UpdateUpstreamUserAsync(TestUser user, bool enabled, params string[] groups)
    {
        ApiResponse current = await Upstream.Admin.ReadAsync($"/api/v1/users/{user.Id}");
        ApiResponse updated = await Upstream.Admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user.Id}", new
        {
            name = user.Name,
            displayName = "Federated " + user.Name,
            enabled,
            groupIds = groups.Select(g => UpstreamGroupIds[g]).ToArray(),
        }, current.ETag);
        Assert.True(updated.Status == HttpStatusCode.OK, updated.Body);
    }

    /// <summary>
    /// A browser (cookies, redirects followed one by one, both CAs trusted) signs in to the
    /// downstream's console client: the sign-in page, "Sign in with corp", the upstream's own
    /// sign-in form with <paramref name="user"/>'s password, the callback, and the code; then
    /// redeems the code with the PKCE verifier.
    /// </summary>
    public async Task<TokenResponse> SignInThroughUpstreamAsync(TestUser user, string scope = "openid profile offline_access")
    {
        using HttpClient browser = Browser();
        var code = new CodeFlowClient(browser, Downstream.Oidc);
        Dictionary<string, string> parameters = code.AuthorizationParameters();
        parameters["scope"] = scope;
        string query = string.Join('&', parameters.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        using HttpResponseMessage page = await browser.GetAsync(new Uri(Downstream.App.Address!, "/connect/authorize?" + query));
        string html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains($">Sign in with {UpstreamName}</button>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"password\"", html, StringComparison.Ordinal);

        Dictionary<string, string> choice = OidcClient.HiddenFields(html);
        choice["upstream"] = UpstreamName;
        HttpResponseMessage chosen = await browser.PostAsync(new Uri(Downstream.App.Address!, "/connect/authorize"), new FormUrlEncodedContent(choice));
        (Uri? back, string? shown) = await FollowThroughUpstreamAsync(browser, chosen, user, location => location.ToString().StartsWith(IdentityFixture.ConsoleRedirectUri, StringComparison.Ordinal));
        Assert.True(back is not null, $"The sign-in ended on a page instead of the console's redirect URI: {shown}");
        var answer = HttpUtility.ParseQueryString(back.Query);
        Assert.Equal("state-1", answer["state"]);
        return await code.RedeemAsync(answer["code"]!);
    }

    /// <summary>
    /// A browser approves a device flow's <paramref name="userCode"/> at the downstream's
    /// verification page through the upstream: "Sign in with corp", the upstream's sign-in form,
    /// back to the consent page, Allow.
    /// </summary>
    public async Task ApproveDeviceThroughUpstreamAsync(TestUser user, string userCode)
    {
        using HttpClient browser = Browser();
        browser.BaseAddress = Downstream.App.Address;
        using HttpResponseMessage page = await browser.GetAsync(new Uri($"/connect/verify?user_code={Uri.EscapeDataString(userCode)}", UriKind.Relative));
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains($">Sign in with {UpstreamName}</button>", html, StringComparison.Ordinal);
        Dictionary<string, string> choice = OidcClient.HiddenFields(html);
        choice["user_code"] = userCode;
        choice["upstream"] = UpstreamName;
        HttpResponseMessage chosen = await browser.PostAsync("/connect/verify", new FormUrlEncodedContent(choice));
        (_, string? consent) = await FollowThroughUpstreamAsync(browser, chosen, user, _ => false);
        Assert.True(consent is not null && consent.Contains($"through {UpstreamName}", StringComparison.Ordinal), $"No consent page for the upstream's user: {consent}");

        Dictionary<string, string> allow = OidcClient.HiddenFields(consent);
        allow["consent"] = "allow";
        using HttpResponseMessage approved = await browser.PostAsync("/connect/verify", new FormUrlEncodedContent(allow));
        Assert.True(approved.StatusCode == HttpStatusCode.Redirect, $"Allow answered {(int)approved.StatusCode}: {await approved.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// Follows <paramref name="response"/> as a browser does, one redirect at a time, filling the
    /// upstream's sign-in form with <paramref name="user"/>'s password when it shows: the first
    /// location <paramref name="isEnd"/> accepts (not followed), or the first other page shown.
    /// </summary>
    private async Task<(Uri? Location, string? Page)> FollowThroughUpstreamAsync(HttpClient browser, HttpResponseMessage response, TestUser user, Func<Uri, bool> isEnd)
    {
        for (int step = 0; step < 10; step++)
        {
            HttpResponseMessage current = response;
            using (current)
            {
                Uri at = current.RequestMessage!.RequestUri!;
                if (current.StatusCode != HttpStatusCode.Redirect)
                {
                    string page = await current.Content.ReadAsStringAsync();
                    if (current.StatusCode != HttpStatusCode.OK || !page.Contains("name=\"password\"", StringComparison.Ordinal) || !at.ToString().StartsWith(Upstream.App.Address!.ToString(), StringComparison.Ordinal))
                    {
                        return (null, page);
                    }

                    // The upstream's sign-in page: the person enters their upstream credentials.
                    Dictionary<string, string> credentials = OidcClient.HiddenFields(page);
                    credentials["username"] = user.Name;
                    credentials["password"] = IdentityFixture.Password;
                    response = await browser.PostAsync(new Uri(Upstream.App.Address!, "/connect/authorize"), new FormUrlEncodedContent(credentials));
                    continue;
                }

                Uri location = new(at, current.Headers.Location!);
                if (isEnd(location))
                {
                    return (location, null);
                }

                response = await browser.GetAsync(location);
            }
        }

        throw new InvalidOperationException("The sign-in did not end within 10 steps.");
    }

    /// <summary>A browser of its own: cookies, no automatic redirects, and the two deployments' CAs trusted by their files.</summary>
    public HttpClient Browser()
    {
        DeploymentTrust upstream = DeploymentTrust.FromCaFile(Upstream.CaFile, "upstream CA");
        DeploymentTrust downstream = DeploymentTrust.FromCaFile(Downstream.CaFile, "downstream CA");
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            CookieContainer = new CookieContainer(),
            ServerCertificateCustomValidationCallback = (request, certificate, chain, _) =>
                upstream.Validate(request.RequestUri!.IdnHost, certificate, chain) || downstream.Validate(request.RequestUri!.IdnHost, certificate, chain),
        };
        return new HttpClient(handler);
    }

    public async Task DisposeAsync()
    {
        if (Downstream is not null)
        {
            await Downstream.DisposeAsync();
        }

        await Upstream.DisposeAsync();
    }
}

/// <summary>
/// The downstream deployment: HTTPS, one upstream (<see cref="FederationFixture.UpstreamName"/>)
/// trusted by the upstream's CA file, its groups mapped (engineering to the allowed group,
/// auditors to a group that does not exist here), and local accounts off.
/// </summary>
public sealed class FederatedIdentityFixture(string upstreamIssuer, string upstreamCaFile) : HttpsIdentityFixture
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["Identity:LocalAccounts"] = "false",
        ["Identity:Upstreams:0:Name"] = FederationFixture.UpstreamName,
        ["Identity:Upstreams:0:Issuer"] = upstreamIssuer,
        ["Identity:Upstreams:0:ClientId"] = FederationFixture.ClientId,
        ["Identity:Upstreams:0:ClientSecret"] = FederationFixture.ClientSecret,
        ["Identity:Upstreams:0:CaFile"] = upstreamCaFile,
        ["Identity:Upstreams:0:Scopes:0"] = "openid",
        ["Identity:Upstreams:0:Scopes:1"] = "profile",
        ["Identity:Upstreams:0:Scopes:2"] = "offline_access",
        [$"Identity:Upstreams:0:GroupMapping:{FederationFixture.MappedGroup}"] = "vpn-users",
        [$"Identity:Upstreams:0:GroupMapping:{FederationFixture.MappedToNothing}"] = "no-such-group",
    };
}
