using OpenTunnel.Client.Connect;
using OpenTunnel.Client.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.Connect;

[Trait("Category", "Unit")]
public sealed class OpenConnectRunnerTests
{
    [Fact]
    public void Arguments_AllOptions_TokenModeFirstGatewayLast()
    {
        IReadOnlyList<string> arguments = OpenConnectRunner.Arguments(
            new OpenConnectRequest("https://vpn:4443", "/state/gateway-token", "pin-sha256:abc", "/etc/vpnc/script", ["--interface", "tun7"]));

        Assert.Equal(
            ["--token-mode=oidc", "--token-secret=@/state/gateway-token", "--servercert", "pin-sha256:abc", "--script", "/etc/vpnc/script", "--interface", "tun7", "https://vpn:4443"],
            arguments);
    }

    [Fact]
    public void Arguments_NoOptionalOptions_OnlyTokenAndGateway()
    {
        Assert.Equal(
            ["--token-mode=oidc", "--token-secret=@t", "vpn.example"],
            OpenConnectRunner.Arguments(new OpenConnectRequest("vpn.example", "t", null, null, [])));
    }

    [Fact]
    public async Task RunAsync_ProgramExits_ItsExitCodeAndArgumentsPassThrough()
    {
        using var directory = new TemporaryDirectory();
        string program = StandInOpenConnect.Write(directory, exitCode: 7);

        int? exitCode = await new OpenConnectRunner(program).RunAsync(new OpenConnectRequest("https://vpn", "tok", null, null, []));

        Assert.Equal(7, exitCode);
        Assert.Equal(["--token-mode=oidc", "--token-secret=@tok", "https://vpn"], File.ReadAllLines(directory.File("args")));
    }

    [Fact]
    public async Task RunAsync_ProgramMissing_Null()
    {
        Assert.Null(await new OpenConnectRunner("/nonexistent/openconnect").RunAsync(new OpenConnectRequest("https://vpn", "tok", null, null, [])));
    }
}
