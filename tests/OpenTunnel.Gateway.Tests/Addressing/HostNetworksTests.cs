using System.Net;
using OpenTunnel.Gateway.Addressing;

namespace OpenTunnel.Gateway.Tests.Addressing;

[Trait("Category", "Unit")]
public sealed class HostNetworksTests
{
    /// <summary>/proc/net/route of a host with a default route, its LAN and a link-local route.</summary>
    internal const string ProcRoute = """
        Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
        eth0	00000000	0102A8C0	0003	0	0	100	00000000	0	0	0
        eth0	0002A8C0	00000000	0001	0	0	100	00FFFFFF	0	0	0
        eth0	0000FEA9	00000000	0001	0	0	1000	0000FFFF	0	0	0

        """;

    private const string ProcIpv6Route = """
        20010db8000100000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
        00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db8000100000000000000000001 00000400 00000001 00000000 00000003     eth0

        """;

    [Fact]
    public void ParseIPv4Routes_ProcNetRoute_GivesEachRouteWithItsPrefixAndInterface()
    {
        List<HostNetwork> routes = HostNetworks.ParseIPv4Routes(ProcRoute);

        Assert.Equal(["route 0.0.0.0/0 on eth0", "route 192.168.2.0/24 on eth0", "route 169.254.0.0/16 on eth0"], routes.ConvertAll(r => r.ToString()));
    }

    [Fact]
    public void ParseIPv6Routes_ProcNetIpv6Route_GivesEachRouteWithItsPrefixAndInterface()
    {
        List<HostNetwork> routes = HostNetworks.ParseIPv6Routes(ProcIpv6Route);

        Assert.Equal(["route 2001:db8:1::/64 on eth0", "route ::/0 on eth0"], routes.ConvertAll(r => r.ToString()));
    }

    [Fact]
    public void Overlaps_LinkLocalRouteOfTheHost_NamesPoolAndRoute_AndIgnoresTheDefaultRouteAndTheTunDevice()
    {
        List<HostNetwork> host = HostNetworks.ParseIPv4Routes(ProcRoute);
        host.Add(new HostNetwork(IPNetwork.Parse("169.254.0.0/16"), "otun0", IsRoute: false));

        List<string> overlaps = HostNetworks.Overlaps("Network:IPv4Pool", IPNetwork.Parse("169.254.0.0/16"), host, "otun0");

        Assert.Equal(["Network:IPv4Pool 169.254.0.0/16 overlaps the host's route 169.254.0.0/16 on eth0"], overlaps);
        Assert.Empty(HostNetworks.Overlaps("Network:IPv4Pool", IPNetwork.Parse("10.8.0.0/16"), host, "otun0"));
    }
}
