using System.Net;
using OpenTunnel.Gateway.Contracts.Network;

namespace OpenTunnel.Gateway.Contracts.Tests.Network;

[Trait("Category", "Unit")]
public sealed class RouteUnionTests
{
    [Fact]
    public void Of_DistinctLists_KeepsEveryRangeOnceInFirstSeenOrder()
    {
        List<IPNetwork> union = RouteUnion.Of([Nets("198.18.2.0/24", "2001:db8:2::/64"), Nets("198.18.3.0/24", "198.18.2.0/24")]);

        Assert.Equal(Nets("198.18.2.0/24", "2001:db8:2::/64", "198.18.3.0/24"), union);
    }

    [Fact]
    public void Of_WiderRangeAfterNarrowerOnes_ReplacesThemAll()
    {
        List<IPNetwork> union = RouteUnion.Of([Nets("198.18.2.0/25", "198.18.4.0/24", "198.18.2.128/25"), Nets("198.18.0.0/16")]);

        Assert.Equal(Nets("198.18.0.0/16"), union);
    }

    [Fact]
    public void Of_NarrowerRangeAfterAWiderOne_IsLeftOut()
    {
        Assert.Equal(Nets("198.18.0.0/16"), RouteUnion.Of([Nets("198.18.0.0/16"), Nets("198.18.5.0/24")]));
    }

    [Fact]
    public void Parse_SkipsWhatIsNotARange()
    {
        Assert.Equal(Nets("198.18.2.0/24"), RouteUnion.Parse(["198.18.2.0/24", "198.18.2.1/24", "x"]));
    }

    private static IPNetwork[] Nets(params string[] texts) => [.. texts.Select(IPNetwork.Parse)];
}
