using System.Net.Http.Json;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.Testing;
using OpenTunnel.Testing.Identity;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// The real <c>opentunnel</c> signed in as bob at an <see cref="AgentStack"/>'s management service:
/// bob is in the group vpn-users, which a conditional-access policy lets use the stack's site and to
/// which one VPN profile is assigned; the client signs in, enrols the device and signs in again, so
/// that it holds gateway tokens and the profile. Its state directory goes on Dispose.
/// </summary>
internal sealed class SignedInClient : IDisposable
{
    private SignedInClient(TemporaryDirectory home, string group, string profileId)
    {
        Home = home;
        Group = group;
        ProfileId = profileId;
        Environment = new Dictionary<string, string> { ["OPENTUNNEL_CLIENT_HOME"] = home.Path };
    }

    public TemporaryDirectory Home { get; }

    /// <summary>The variables every run of the client needs (its state directory).</summary>
    public Dictionary<string, string> Environment { get; }

    /// <summary>The id of the group vpn-users.</summary>
    public string Group { get; }

    public string ProfileId { get; }

    /// <param name="stack">The management service, its site and gateway.</param>
    /// <param name="profile">The body of POST /api/v1/profiles, given the group's id (to assign it).</param>
    public static async Task<SignedInClient> StartAsync(AgentStack stack, Func<string, object> profile)
    {
        AdminApiClient api = stack.Management.Api;
        string group = (await api.PostAsync("/api/v1/groups", new { name = "vpn-users" })).GetProperty("id").GetString()!;
        await api.PostAsync("/api/v1/conditional-access-policies", new { name = "vpn", groupIds = new[] { group }, siteIds = new[] { stack.Site } });
        string user = (await api.PostAsync("/api/v1/users", new { name = "bob", displayName = "Bob", groupIds = new[] { group } })).GetProperty("id").GetString()!;
        using (HttpResponseMessage password = await api.Http.PutAsJsonAsync($"/api/v1/users/{user}/password", new { password = ClientConnectTests.Password }))
        {
            password.EnsureSuccessStatusCode();
        }

        string profileId = (await api.PostAsync("/api/v1/profiles", profile(group))).GetProperty("id").GetString()!;
        var client = new SignedInClient(new TemporaryDirectory(), group, profileId);
        try
        {
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = stack.Management.ApiUrl };
            var oidc = new OidcClient(http, stack.Management.ApiUrl.ToString());
            string server = stack.Management.ApiUrl.ToString();
            await ClientConnectTests.SignInAsync(oidc, client.Environment, server, stack.Management);
            ClientConnectTests.Run(client.Environment, "enrol", "--name", "e2e-laptop");
            await ClientConnectTests.SignInAsync(oidc, client.Environment, server, stack.Management);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public void Dispose() => Home.Dispose();
}
