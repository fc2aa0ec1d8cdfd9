using Microsoft.IdentityModel.JsonWebTokens;
using OpenTunnel.Client.State;
using OpenTunnel.Client.Tests.Harness;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Platform.Linux.Files;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.Cli;

/// <summary>
/// The verbs against the real management service and its identity provider on 127.0.0.1: the
/// device flow approved on the real verification page while the client polls, enrolment with the
/// machine's posture, gateway tokens with device assertions, and a posture that turns
/// non-compliant. The firewall answer comes from real nft reading a real ruleset, in a network
/// namespace of the test's own (the client reads the ruleset of the namespace it runs in; the
/// test cannot change the host's).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClientFlowTests(ClientFixture fixture) : IClassFixture<ClientFixture>
{
    [Fact]
    public async Task SignInEnrolSignInToken_FirewallTurnedOff_PostureNonCompliantAndTokenRefusedWithDescription()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft");
        using NetworkTopology topology = NetworkTopology.Create();
        string ns = topology.Client;
        topology.Exec(ns, "nft", "add table inet filter").EnsureSuccess();
        topology.Exec(ns, "nft", "add chain inet filter input { type filter hook input priority 0; policy drop; }").EnsureSuccess();
        TestUser user = await fixture.CreateUserAsync();
        using var client = new ClientUnderTest(fixture, ["ip", "netns", "exec", ns, "nft", "-j", "list", "ruleset"]);

        Assert.Equal(ExitCodes.Success, await client.SignInAsync(user.Name));
        Assert.Equal("openid offline_access opentunnel.device", client.SignInFile().GetProperty("scope").GetString());
        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(client.State.SignInFile));
        Assert.Equal(OwnerOnlyFiles.DirectoryMode, File.GetUnixFileMode(client.State.Path));

        Assert.Equal(ExitCodes.Success, await client.RunAsync("enrol", "--name", "test-laptop"));
        EnrolledDevice device = client.State.LoadDevice();
        Assert.Equal(("Compliant", "test-laptop"), (device.ComplianceState, device.Name));
        Assert.Contains("firewall:        yes (input chain inet filter input has policy drop)", client.Output, StringComparison.Ordinal);
        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(client.State.DeviceKeyFile));

        Assert.Equal(ExitCodes.Configuration, await client.RunAsync("token"));
        Assert.Contains("does not cover gateway tokens", client.Errors, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Success, await client.SignInAsync(user.Name, "--site", fixture.SiteName));
        Assert.Equal("openid offline_access opentunnel.gateway opentunnel.device", client.SignInFile().GetProperty("scope").GetString());
        string rolled = client.SignInFile().GetProperty("refreshToken").GetString()!;

        using var output = new TemporaryDirectory();
        Assert.Equal(ExitCodes.Success, await client.RunAsync("token", "--site", fixture.SiteName, "--out", output.File("token")));
        var token = new JsonWebToken(File.ReadAllText(output.File("token")));
        Assert.Equal(device.DeviceId.ToString(), token.GetClaim("device_id").Value);
        Assert.Equal("compliant", token.GetClaim("compliance").Value);
        Assert.Equal(fixture.SiteId, token.GetClaim("site").Value);
        Assert.Equal(["opentunnel-gateway"], token.Audiences);
        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(output.File("token")));
        Assert.NotEqual(rolled, client.SignInFile().GetProperty("refreshToken").GetString());

        Assert.Equal(ExitCodes.OsError, await client.RunAsync("token", "--site", fixture.SiteName, "--out", output.Subdirectory("in-the-way")));
        Assert.Contains("Cannot read or write a file:", client.Errors, StringComparison.Ordinal);

        client.OpenConnect = StandInOpenConnect.Write(output, exitCode: 3);
        Assert.Equal(3, await client.RunAsync("connect", "--engine", "openconnect", "--gateway", "https://198.18.1.1:4443", "--site", fixture.SiteName, "--servercert", "pin-sha256:abc"));
        string[] passed = File.ReadAllLines(output.File("args"));
        Assert.Equal(["--token-mode=oidc", "--token-secret=@" + client.State.GatewayTokenFile, "--servercert", "pin-sha256:abc", "https://198.18.1.1:4443"], passed);
        Assert.Equal(device.DeviceId.ToString(), new JsonWebToken(File.ReadAllText(output.File("token-seen"))).GetClaim("device_id").Value);
        Assert.Equal("600", File.ReadAllText(output.File("mode-seen")).Trim());
        Assert.False(File.Exists(client.State.GatewayTokenFile), "connect left the gateway token behind");

        topology.Exec(ns, "nft", "flush ruleset").EnsureSuccess();
        Assert.Equal(ExitCodes.Success, await client.RunAsync("posture"));
        Assert.Contains("Compliance: NonCompliant", client.Output, StringComparison.Ordinal);
        Assert.Contains("a firewall is required and it is off", client.Output, StringComparison.Ordinal);
        Assert.Equal("NonCompliant", client.State.LoadDevice().ComplianceState);

        Assert.Equal(ExitCodes.NoPermission, await client.RunAsync("token", "--site", fixture.SiteName));
        Assert.Contains("Access denied: Policy 'vpn' requires a compliant device; the device is NonCompliant.", client.Errors, StringComparison.Ordinal);
        Assert.Contains("a firewall is required and it is off", client.Errors, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.NoPermission, await client.SignInAsync(user.Name, "--site", fixture.SiteName));
        Assert.Contains("The sign-in was refused: Policy 'vpn' requires a compliant device", client.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posture_DeviceKeyReplaced_RefusedNamingTheSignature()
    {
        Prerequisites.RequireRootAndCommands("nft");
        TestUser user = await fixture.CreateUserAsync();
        using var client = new ClientUnderTest(fixture, ["nft", "-j", "list", "ruleset"]);
        Assert.Equal(ExitCodes.Success, await client.SignInAsync(user.Name));
        Assert.Equal(ExitCodes.Success, await client.RunAsync("enrol"));
        File.Delete(client.State.DeviceKeyFile);
        client.State.LoadDeviceKey(create: true).Dispose();

        Assert.Equal(ExitCodes.NoPermission, await client.RunAsync("posture"));

        Assert.Contains("Device not proven.", client.Errors, StringComparison.Ordinal);
        Assert.Contains("signature does not verify", client.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostureEvery_UntilStopped_ReportsEachIntervalAndExitsZero()
    {
        Prerequisites.RequireRootAndCommands("nft");
        TestUser user = await fixture.CreateUserAsync();
        using var client = new ClientUnderTest(fixture, ["nft", "-j", "list", "ruleset"]);
        Assert.Equal(ExitCodes.Success, await client.SignInAsync(user.Name));
        Assert.Equal(ExitCodes.Success, await client.RunAsync("enrol"));
        using var stop = new CancellationTokenSource();

        Task<int> loop = client.RunAsync(["posture", "--every", "1"], stop.Token);
        for (int i = 0; i < 200 && Reports(client.Output) < 3; i++)
        {
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await loop.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(Reports(client.Output) >= 3, client.Output + client.Errors);
    }

    [Fact]
    public async Task Enrol_AlreadyEnrolled_AStepIsMissing_SayingHowToEnrolAgain()
    {
        Prerequisites.RequireRootAndCommands("nft");
        TestUser user = await fixture.CreateUserAsync();
        using var client = new ClientUnderTest(fixture, ["nft", "-j", "list", "ruleset"]);
        Assert.Equal(ExitCodes.Success, await client.SignInAsync(user.Name));
        Assert.Equal(ExitCodes.Success, await client.RunAsync("enrol"));

        Assert.Equal(ExitCodes.Configuration, await client.RunAsync("enrol"));

        Assert.Contains("already enrolled as device", client.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_ServerIsNotAProvider_FailsNamingTheUrl()
    {
        using var client = new ClientUnderTest(fixture, ["nft", "-j", "list", "ruleset"]);

        int exitCode = await client.RunAsync("signin", "--server", client.Server + "nothing-here/");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("nothing-here/.well-known/openid-configuration answered 404", client.Errors, StringComparison.Ordinal);
    }

    /// <summary>How many posture reports the client printed.</summary>
    private static int Reports(string output) => output.Split("Reported the posture of device").Length - 1;
}
