using OpenTunnel.Client.HostNetwork;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.HostNetwork;

/// <summary>
/// <c>ip -batch</c> with the real iproute2. The commands only read or fail (a device that does
/// not exist), so nothing of the host's network changes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HostCommandsTests
{
    [Fact]
    public void IpBatch_ALineFails_ThrowsNamingThatCommand_WithoutItsFamilyOption()
    {
        Prerequisites.RequireRootAndCommands("ip");
        IReadOnlyList<string>[] commands =
        [
            ["route", "show", "dev", "lo"],
            ["-4", "route", "replace", "198.18.5.0/24", "dev", "opentunnel-none0"],
            ["route", "show", "dev", "lo"],
        ];

        var e = Assert.Throws<HostCommandException>(() => HostCommands.IpBatch(commands));

        Assert.Contains("'ip route replace 198.18.5.0/24 dev opentunnel-none0' failed", e.Message, StringComparison.Ordinal);
        Assert.Contains("opentunnel-none0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IpBatch_AllLinesSucceed_Returns()
    {
        Prerequisites.RequireRootAndCommands("ip");

        HostCommands.IpBatch([["route", "show", "dev", "lo"], ["-6", "route", "show", "dev", "lo"]]);
    }

    [Fact]
    public void IpBatch_AnArgumentWithASpace_IsRefusedBeforeAnythingRuns()
    {
        Assert.Throws<ArgumentException>(() => HostCommands.IpBatch([["route", "show"], ["link", "show", "dev", "a b"]]));
    }
}
