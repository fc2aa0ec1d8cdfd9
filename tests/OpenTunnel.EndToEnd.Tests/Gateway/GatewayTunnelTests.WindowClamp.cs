using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

public sealed partial class GatewayTunnelTests
{
    private const int WindowIperfPort = 5301;

    /// <summary>
    /// Network:TlsWindowClamp: a download from the corp host to alice over TLS. The corp host's
    /// iperf3 reports the largest window alice's TCP advertised to it: held to the gateway's floor
    /// of 256 KiB (a client next to the gateway carries little in a round trip), where without the
    /// clamp Linux grows it to megabytes.
    /// </summary>
    [Fact]
    public async Task TlsWindowClamp_DownloadOverTls_TheClientsWindowIsHeldDownUntilSwitchedOff()
    {
        Prerequisites.RequireRootAndCommands("iperf3");
        long clamped = await Gateway.LargestClientWindowInADownloadAsync(WindowIperfPort);
        long free = await Gateway.WithNetworkSettingOffAsync("TlsWindowClamp", () => Gateway.LargestClientWindowInADownloadAsync(WindowIperfPort));

        Assert.InRange(clamped, 1, 1024 * 1024);
        Assert.True(free > 2 * clamped, $"Without the clamp the window reached {free} bytes, with it {clamped}.");
    }
}
