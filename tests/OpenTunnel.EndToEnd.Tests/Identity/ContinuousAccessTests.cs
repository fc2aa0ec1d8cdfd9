using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;
using OpenTunnel.Testing.Identity;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Identity;

/// <summary>
/// The embedded identity provider in front of a real gateway: the management service (with the
/// provider) on loopback, a gateway in the namespaces that trusts the provider's signing keys (its
/// JWKS, fetched from the provider and given to the gateway as <c>Auth:JwksFile</c>, because the
/// gateway's namespace cannot reach the root namespace's loopback), and an agent enrolled into the
/// site. A user enrols a device, gets a gateway token through the device flow with a device
/// assertion, and connects with Debian's openconnect (<c>--token-mode=oidc</c>).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ContinuousAccessTests(ITestOutputHelper output)
{
    private const string Password = "correct horse battery";
    private static readonly TimeSpan CutDeadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task DeviceTurnsNonCompliant_TunnelIsCutWithinTenSeconds_AndTheSameTokenCannotReconnect()
    {
        using AgentStack stack = await AgentStack.StartAsync(TrustTheProviderAsync);
        AdminApiClient api = stack.Management.Api;
        string group = (await api.PostAsync("/api/v1/groups", new { name = "vpn-users" })).GetProperty("id").GetString()!;
        await api.PostAsync("/api/v1/conditional-access-policies", new { name = "vpn", groupIds = new[] { group }, siteIds = new[] { stack.Site } });
        await api.PostAsync("/api/v1/compliance-policies", new { name = "baseline", requireDiskEncryption = true, requireFirewall = true });
        string user = (await api.PostAsync("/api/v1/users", new { name = "alice", displayName = "Alice", groupIds = new[] { group } })).GetProperty("id").GetString()!;
        using (HttpResponseMessage password = await api.Http.PutAsJsonAsync($"/api/v1/users/{user}/password", new { password = Password }))
        {
            password.EnsureSuccessStatusCode();
        }

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = stack.Management.ApiUrl };
        var oidc = new OidcClient(http, stack.Management.ApiUrl.ToString());
        TestDevice device = await TestDevice.EnrolAsync(http, (await oidc.DeviceFlowAsync("alice", Password, "openid opentunnel.device")).AccessToken!);
        string token = (await oidc.DeviceFlowAsync("alice", Password, "openid opentunnel.gateway", () => GatewayParameters(oidc, device, stack.Site))).AccessToken!;
        string tokenFile = stack.Gateway.TokenFile(token);

        using OpenConnectClient client = await OpenConnectClient.ConnectWithTokenAsync(stack.Gateway, tokenFile, "otc0");
        stack.Gateway.Topology.Exec(stack.Gateway.Topology.Client, "ping", ["-c", "1", "-W", "2", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(5)).EnsureSuccess();
        JsonNode session = (await stack.Gateway.ControlAsync("sessions"))!.AsArray().Single()!;
        Assert.Equal(("alice", device.Id), (session["user"]!.GetValue<string>(), session["deviceId"]!.GetValue<string>()));

        var cut = Stopwatch.StartNew();
        string posture = $"/api/v1/device-enrolment/{device.Id}/posture";
        using (var report = new HttpRequestMessage(HttpMethod.Put, posture) { Content = JsonContent.Create(new { name = "laptop", platform = "Linux", osVersion = "12.8", diskEncrypted = true, firewallEnabled = false }) })
        {
            report.Headers.Add("Device-Assertion", device.Assertion(stack.Management.ApiUrl + posture.TrimStart('/')));
            using HttpResponseMessage reported = await http.SendAsync(report);
            Assert.True(reported.IsSuccessStatusCode, $"Posture report answered {(int)reported.StatusCode}: {await reported.Content.ReadAsStringAsync()}");
        }

        while ((await stack.Gateway.ControlAsync("sessions"))!.AsArray().Count > 0 && cut.Elapsed < CutDeadline + TimeSpan.FromSeconds(5))
        {
            await Task.Delay(100);
        }

        TimeSpan cutAfter = cut.Elapsed;
        Assert.True(cutAfter < CutDeadline, $"The tunnel was cut {AgentProcess.Seconds(cutAfter)} s after the device turned non-compliant (limit 10 s).\nAgent:\n{stack.Agent.Output}");
        output.WriteLine($"Tunnel cut {AgentProcess.Seconds(cutAfter)} s after the posture report.");
        await client.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));

        CommandResult again = OpenConnectClient.Authenticate(stack.Gateway, tokenFile);
        Assert.NotEqual(0, again.ExitCode);
        await stack.Gateway.Process.WaitForOutputAsync("was revoked at", TimeSpan.FromSeconds(5));
        Assert.Contains(device.Id, await File.ReadAllTextAsync(Path.Combine(stack.Gateway.DataDirectory, OpenTunnel.Gateway.SignIn.AccessRevocations.FileName)), StringComparison.Ordinal);

        TokenResponse refused = await oidc.TryDeviceFlowAsync("alice", Password, "openid opentunnel.gateway", () => GatewayParameters(oidc, device, stack.Site));
        Assert.Equal("access_denied", refused.Error);
        Assert.Contains("a firewall is required and it is off", refused.ErrorDescription, StringComparison.Ordinal);
    }

    /// <summary>Gateway settings: the provider as issuer, its JWKS as the key file, compliant devices required.</summary>
    internal static async Task<Action<JsonObject>> TrustTheProviderAsync(ManagementProcess management, string folder)
    {
        using var http = new HttpClient { BaseAddress = management.ApiUrl };
        using JsonDocument discovery = JsonDocument.Parse(await http.GetStringAsync(".well-known/openid-configuration"));
        string issuer = discovery.RootElement.GetProperty("issuer").GetString()!;
        string jwksFile = Path.Combine(folder, "provider-jwks.json");
        await File.WriteAllTextAsync(jwksFile, await http.GetStringAsync(discovery.RootElement.GetProperty("jwks_uri").GetString()));
        return config => config["Auth"] = new JsonObject
        {
            ["Issuer"] = issuer,
            ["Audience"] = "opentunnel-gateway",
            ["JwksFile"] = jwksFile,
            ["RequiredClaims"] = new JsonArray(new JsonObject { ["Claim"] = "compliance", ["AnyOf"] = new JsonArray("compliant") }),
        };
    }

    private static Dictionary<string, string> GatewayParameters(OidcClient oidc, TestDevice device, string site) => new()
    {
        ["device_assertion"] = device.Assertion(oidc.TokenEndpoint),
        ["site"] = site,
    };
}
