using System.Net;
using OpenTunnel.Client.HostNetwork;

namespace OpenTunnel.Client.Tests.HostNetwork;

[Trait("Category", "Unit")]
public sealed class RoutePlanTests
{
    private static readonly IPAddress Gateway = IPAddress.Parse("198.18.1.1");

    [Fact]
    public void For_SplitTunnel_IncludesThroughTunExcludesAndGatewayThroughThePathBefore()
    {
        var lease = new TunnelLease
        {
            Mtu = 1400,
            IPv4Address = IPAddress.Parse("198.18.128.7"),
            IPv4Network = IPNetwork.Parse("198.18.128.0/24"),
            SplitInclude = [IPNetwork.Parse("198.18.2.0/24")],
            SplitExclude = [IPNetwork.Parse("198.18.2.128/25")],
        };

        var routes = RoutePlan.For(lease, "opentun0", Gateway, address => new HostRoute(new IPNetwork(address, 32), "eth0", IPAddress.Parse("198.18.1.254")));

        Assert.Equal(
            [
                "route replace 198.18.1.1/32 via 198.18.1.254 dev eth0",
                "route replace 198.18.2.128/25 via 198.18.1.254 dev eth0",
                "route replace 198.18.128.0/24 dev opentun0",
                "route replace 198.18.2.0/24 dev opentun0",
            ],
            routes.Select(r => string.Join(' ', r.Arguments("replace"))));
    }

    [Fact]
    public void For_NoIncludes_RoutesEverythingOfEachLeasedFamilyThroughTheTunnel()
    {
        var lease = new TunnelLease { Mtu = 1400, IPv4Address = IPAddress.Parse("198.18.128.7"), IPv6Address = IPAddress.Parse("2001:db8:128::7") };

        var routes = RoutePlan.For(lease, "opentun0", Gateway, address => new HostRoute(new IPNetwork(address, 32), "eth0", null));

        Assert.Equal(
            ["route replace 198.18.1.1/32 dev eth0", "route replace 0.0.0.0/1 dev opentun0", "route replace 128.0.0.0/1 dev opentun0",
             "-6 route replace ::/1 dev opentun0", "-6 route replace 8000::/1 dev opentun0"],
            routes.Select(r => string.Join(' ', r.Arguments("replace"))));
    }

    [Fact]
    public void FromRouteGet_IpJsonOutput_ReadsDeviceAndNextHop()
    {
        const string json = """[{"dst":"198.18.3.10","gateway":"198.18.1.1","dev":"otc0","prefsrc":"198.18.1.2","flags":[],"uid":0,"cache":[]}]""";

        var route = HostRoute.FromRouteGet(json, IPAddress.Parse("198.18.3.10"));

        Assert.Equal(new HostRoute(IPNetwork.Parse("198.18.3.10/32"), "otc0", IPAddress.Parse("198.18.1.1")), route);
    }
}
