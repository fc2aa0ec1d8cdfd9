using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Hosting;
using OpenTunnel.Gateway.Tests.Addressing;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Hosting;

[Trait("Category", "Unit")]
public sealed class GatewayStartupTests
{
    [Fact]
    public void CheckPoolsAgainstHost_OverlapWithWarn_LogsAWarningNamingBoth_InsteadOfRefusing()
    {
        var logger = new FakeLogger();
        var network = new NetworkOptions { IPv4Pool = "192.168.2.128/25", PoolOverlap = PoolOverlapAction.Warn };

        GatewayStartup.CheckPoolsAgainstHost(network, TunnelSettings.From(new GatewayOptions { Network = network }), HostNetworks.ParseIPv4Routes(HostNetworksTests.ProcRoute), logger);

        FakeLogRecord warning = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.StartsWith("Network:IPv4Pool 192.168.2.128/25 overlaps the host's route 192.168.2.0/24 on eth0", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckPoolsAgainstHost_DefaultLinkLocalPoolOnAHostWithADefaultRoute_WarnsThatTheHostLosesItsMetadataService()
    {
        var logger = new FakeLogger();
        var network = new NetworkOptions();
        List<HostNetwork> defaultRouteOnly = HostNetworks.ParseIPv4Routes(HostNetworksTests.ProcRoute).GetRange(0, 1);

        GatewayStartup.CheckPoolsAgainstHost(network, TunnelSettings.From(new GatewayOptions { Network = network }), defaultRouteOnly, logger);

        FakeLogRecord warning = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(404, warning.Id.Id);
        Assert.StartsWith("Network:IPv4Pool 169.254.0.0/16 holds the cloud metadata service 169.254.169.254, which this host reaches through its default route on eth0", warning.Message, StringComparison.Ordinal);
    }
}

/// <summary>The host check against a real namespace's addresses and routes, read from the kernel.</summary>
[Trait("Category", "Integration")]
public sealed class GatewayStartupNamespaceTests : IDisposable
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
            Record.Exception(() => GatewayStartup.CheckPoolsAgainstHost(network, TunnelSettings.From(new GatewayOptions { Network = network }), HostNetworks.Read(), NullLogger.Instance))
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
            GatewayStartup.CheckPoolsAgainstHost(network, TunnelSettings.From(new GatewayOptions { Network = network }), HostNetworks.Read(), NullLogger.Instance);
            return 0;
        });
    }

    public void Dispose() => _topology.Dispose();
}
