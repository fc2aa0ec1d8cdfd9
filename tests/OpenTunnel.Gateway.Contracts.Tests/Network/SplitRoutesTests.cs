using System.Net;
using OpenTunnel.Gateway.Contracts.Network;

namespace OpenTunnel.Gateway.Contracts.Tests.Network;

[Trait("Category", "Unit")]
public sealed class SplitRoutesTests
{
    private static readonly IPNetwork Pool4 = IPNetwork.Parse("198.18.128.0/24");
    private static readonly IPNetwork Pool6 = IPNetwork.Parse("2001:db8:128::/64");

    private static List<(int Index, string Problem)> Check(params string[] routes)
    {
        var problems = new List<(int, string)>();
        SplitRoutes.Check(routes, [Pool4, Pool6], i => $"routes[{i}]", (i, problem) => problems.Add((i, problem)));
        return problems;
    }

    [Fact]
    public void Check_DisjointRoutes_ReportsNothing()
    {
        Assert.Empty(Check("198.18.2.0/24", "198.18.3.0/24", "2001:db8:2::/48"));
    }

    [Fact]
    public void Check_RouteListedTwice_NamesTheFirst()
    {
        var problems = Check("198.18.2.0/24", "198.18.2.0/24");

        Assert.Equal((1, "'198.18.2.0/24' overlaps routes[0] '198.18.2.0/24': list each range once."), Assert.Single(problems));
    }

    // Management took a range inside another of the same list; the gateway refused the configuration.
    [Fact]
    public void Check_RouteInsideAnotherOfTheList_IsRefused()
    {
        var problems = Check("198.18.0.0/17", "198.18.2.0/24");

        Assert.Equal((1, "'198.18.2.0/24' overlaps routes[0] '198.18.0.0/17': list each range once."), Assert.Single(problems));
    }

    // Management checked only include routes against the pool; the gateway checks both lists.
    [Theory]
    [InlineData("198.18.128.128/25", "overlaps the client address pool 198.18.128.0/24")]
    [InlineData("2001:db8::/32", "overlaps the client address pool 2001:db8:128::/64")]
    public void Check_RouteOverlappingAPool_IsRefused(string route, string expected)
    {
        var problem = Assert.Single(Check(route));

        Assert.Contains(expected, problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_BadEntry_ReportsItAndChecksTheRest()
    {
        var problems = Check("10.0/16", "198.18.2.0/24", "198.18.2.0/24");

        Assert.Equal([0, 2], problems.Select(p => p.Index));
        Assert.Contains("does not start with an IPv4 or IPv6 address", problems[0].Problem, StringComparison.Ordinal);
    }
}
