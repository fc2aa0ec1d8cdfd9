using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.EndToEnd.Tests.Identity;
using OpenTunnel.Testing;
using OpenTunnel.Testing.Identity;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// The real <c>opentunnel</c> executable against the management service with its identity
/// provider, and a gateway that trusts the provider (as in <see cref="ContinuousAccessTests"/>).
/// The verbs that talk to the provider run in the root namespace, where the service listens on
/// loopback; <c>connect</c> runs in the client namespace with the token they got, and starts
/// Debian's openconnect with the test's own vpnc script.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class ClientConnectTests
{
    internal const string Password = "correct horse battery";

    [Fact]
    public async Task SignInEnrolConnect_TunnelCarriesPing_SigtermEndsOpenConnectCleanly()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "openconnect", "ping");
        using AgentStack stack = await AgentStack.StartAsync(ContinuousAccessTests.TrustTheProviderAsync);
        AdminApiClient api = stack.Management.Api;
        string group = (await api.PostAsync("/api/v1/groups", new { name = "vpn-users" })).GetProperty("id").GetString()!;
        await api.PostAsync("/api/v1/conditional-access-policies", new { name = "vpn", groupIds = new[] { group }, siteIds = new[] { stack.Site } });
        string user = (await api.PostAsync("/api/v1/users", new { name = "bob", displayName = "Bob", groupIds = new[] { group } })).GetProperty("id").GetString()!;
        using (HttpResponseMessage password = await api.Http.PutAsJsonAsync($"/api/v1/users/{user}/password", new { password = Password }))
        {
            password.EnsureSuccessStatusCode();
        }

        using var home = new TemporaryDirectory();
        var environment = new Dictionary<string, string> { ["OPENTUNNEL_CLIENT_HOME"] = home.Path };
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = stack.Management.ApiUrl };
        var oidc = new OidcClient(http, stack.Management.ApiUrl.ToString());
        string server = stack.Management.ApiUrl.ToString();

        await SignInAsync(oidc, environment, server, stack.Management);
        Run(environment, "enrol", "--name", "e2e-laptop");
        await SignInAsync(oidc, environment, server, stack.Management);
        string tokenFile = home.File("gateway-token-for-connect");
        Run(environment, "token", "--site", "e2e", "--out", tokenFile);
        string deviceId = JsonDocument.Parse(File.ReadAllText(Path.Combine(home.Path, "device.json"))).RootElement.GetProperty("deviceId").GetString()!;

        GatewayInstance gateway = stack.Gateway;
        string recorded = gateway.Directory.Subdirectory("env-client-e2e");
        using TrackedProcess connect = gateway.Topology.Start(gateway.Topology.Client, "dotnet",
            [Client, "connect", "--engine", "openconnect", "--token-file", tokenFile, "--gateway", gateway.Url, "--servercert", "pin-sha256:" + gateway.Pin,
             "--script", OpenConnectClient.ScriptFile(gateway), "--", "--non-inter", "--interface", "otc9"],
            environment: new Dictionary<string, string>(environment) { ["OT_ENV_DIR"] = recorded, ["OT_ROUTES"] = "1" });
        await WaitForFileAsync(Path.Combine(recorded, "connect"), connect);

        gateway.Topology.Exec(gateway.Topology.Client, "ping", ["-c", "1", "-W", "2", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(5)).EnsureSuccess();
        JsonNode session = (await gateway.ControlAsync("sessions"))!.AsArray().Single()!;
        Assert.Equal(("bob", deviceId), (session["user"]!.GetValue<string>(), session["deviceId"]!.GetValue<string>()));

        connect.Signal(15);
        int exitCode = await connect.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(exitCode == 0, $"opentunnel connect exited with {exitCode} after SIGTERM.\n{connect.Output}");
        Assert.True(File.Exists(Path.Combine(recorded, "disconnect")), $"openconnect did not run its script with reason=disconnect.\n{connect.Output}");
        Assert.Empty(await gateway.SessionsOnceEndedAsync(TimeSpan.FromSeconds(10)));
    }

    internal static string Client => SolutionOutput.Assembly("OpenTunnel.Client", "opentunnel.dll");

    /// <summary>
    /// Runs <c>opentunnel signin</c> and approves the code it prints as bob on the real verification
    /// page while it polls. A failure shows the end of the service's log beside the client's output.
    /// </summary>
    internal static async Task SignInAsync(OidcClient oidc, Dictionary<string, string> environment, string server, ManagementProcess management)
    {
        using TrackedProcess signIn = TrackedProcess.Start("dotnet", [Client, "signin", "--server", server], environment: environment);
        try
        {
            await signIn.WaitForOutputAsync("enter the code", TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"opentunnel signin printed no code.\n{signIn.Output}\nThe service's log ends:\n{Tail(management.Output)}", e);
        }

        string userCode = UserCode().Match(signIn.Output).Groups[1].Value;
        using HttpResponseMessage approved = await oidc.ApproveAsync(userCode, "bob", Password);
        Assert.Equal(HttpStatusCode.Redirect, approved.StatusCode);
        int exitCode = await signIn.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, $"opentunnel signin exited with {exitCode}.\n{signIn.Output}\nThe service's log ends:\n{Tail(management.Output)}");
    }

    private static string Tail(string log) => log.Length <= 6000 ? log : log[^6000..];

    internal static void Run(Dictionary<string, string> environment, params string[] args)
    {
        CommandResult result = Command.Run("dotnet", [Client, .. args], TimeSpan.FromSeconds(60), environment: environment);
        Assert.True(result.Succeeded, $"opentunnel {string.Join(' ', args)} exited with {result.ExitCode}.\n{result.StandardOutput}\n{result.StandardError}");
    }

    internal static async Task WaitForFileAsync(string file, TrackedProcess process)
    {
        for (int i = 0; i < 400 && !File.Exists(file); i++)
        {
            Assert.False(process.HasExited, $"opentunnel connect ended before the tunnel was up.\n{process.Output}");
            await Task.Delay(50);
        }

        Assert.True(File.Exists(file), $"openconnect did not run its script with reason=connect within 20 s.\n{process.Output}");
    }

    [GeneratedRegex("enter the code (\\S+)")]
    private static partial Regex UserCode();
}
