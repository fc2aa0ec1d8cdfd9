using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Addressing;

[Trait("Category", "Unit")]
public sealed class HostNetworksTests
{
    private const string ProcRoute = """
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

    [Fact]
    public void CheckPoolsAgainstHost_OverlapWithWarn_LogsAWarningNamingBoth_InsteadOfRefusing()
    {
        var logger = new FakeLogger();
        var network = new NetworkOptions { IPv4Pool = "192.168.2.128/25", PoolOverlap = PoolOverlapAction.Warn };

        GatewayServer.CheckPoolsAgainstHost(network, TunnelSettings.From(new GatewayOptions { Network = network }), HostNetworks.ParseIPv4Routes(ProcRoute), logger);

        FakeLogRecord warning = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.StartsWith("Network:IPv4Pool 192.168.2.128/25 overlaps the host's route 192.168.2.0/24 on eth0", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckPoolsAgainstHost_DefaultLinkLocalPoolOnAHostWithADefaultRoute_WarnsThatTheHostLosesItsMetadataService()
    {
        var logger = new FakeLogger();
        var network = new NetworkOptions();
        List<HostNetwork> defaultRouteOnly = HostNetworks.ParseIPv4Routes(ProcRoute).GetRange(0, 1);

        GatewayServer.CheckPoolsAgainstHost(network, TunnelSettings.From(new GatewayOptions { Network = network }), defaultRouteOnly, logger);

        FakeLogRecord warning = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(404, warning.Id.Id);
        Assert.StartsWith("Network:IPv4Pool 169.254.0.0/16 holds the cloud metadata service 169.254.169.254, which this host reaches through its default route on eth0", warning.Message, StringComparison.Ordinal);
    }
}

/// <summary>The host check against a real namespace's addresses and routes, read from the kernel.</summary>
[Trait("Category", "Integration")]
public sealed class HostNetworksNamespaceTests : IDisposable
{
    private readonly NetworkTopology _topology = NetworkTopology.Create();

    [Theory]
    [InlineData("198.18.2.0/25", null, "Network:IPv4Pool 198.18.2.0/25 overlaps the host's address 198.18.2.0/24 on ")]
    [InlineData("198.18.130.0/24", null, "Network:IPv4Pool 198.18.130.0/24 overlaps the host's route 198.18.130.0/23 on ")]
    [InlineData("198.18.128.0/24", "2001:db8:1::/120", "Network:IPv6Pool 2001:db8:1::/120 overlaps the host's address 2001:db8:1::/64 on ")]
    public void CheckPoolsAgainstHost_PoolOverlappingTheGatewayHostsNetworks_IsRefusedNamingThem(string pool, string? pool6, string expected)
    {
        _topology.Exec(_topology.Gateway, "ip", "route", "add", "198.18.130.0/23", "via", NetworkTopology.CorpAddress).EnsureSuccess();
        var network = new NetworkOptions { IPv4Pool = pool, IPv6Pool = pool6 };

        // NamespaceThread wraps what the code throws, so the refusal is caught on the namespace's thread.
        GatewayConfigurationException? refused = NamespaceThread.Run(_topology.Gateway, () =>
            Record.Exception(() => GatewayServer.CheckPoolsAgainstHost(network, TunnelSettings.From(new GatewayOptions { Network = network }), HostNetworks.Read(), NullLogger.Instance))
                as GatewayConfigurationException);

        Assert.NotNull(refused);
        Assert.Contains(refused.Errors, e => e.StartsWith(expected, StringComparison.Ordinal) && e.Contains("Network:PoolOverlap", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckPoolsAgainstHost_PoolApartFromTheHostsNetworks_Passes()
    {
        var network = new NetworkOptions { IPv4Pool = "198.18.128.0/24", IPv6Pool = "2001:db8:128::/120" };

        NamespaceThread.Run(_topology.Gateway, () =>
        {
            GatewayServer.CheckPoolsAgainstHost(network, TunnelSettings.From(new GatewayOptions { Network = network }), HostNetworks.Read(), NullLogger.Instance);
            return 0;
        });
    }

    public void Dispose() => _topology.Dispose();
}
