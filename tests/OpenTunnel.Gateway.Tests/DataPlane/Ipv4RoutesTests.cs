using System.Net;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.DataPlane;
using OpenTunnel.Gateway.Tests.Sessions;

namespace OpenTunnel.Gateway.Tests.DataPlane;

[Trait("Category", "Unit")]
public sealed class Ipv4RoutesTests
{
    private static readonly uint Network = IPv4AddressPool.ToUInt32(IPAddress.Parse("198.18.128.0"));
    private readonly Ipv4Routes _routes = new(new IPv4AddressPool(IPNetwork.Parse("198.18.128.0/17")));

    [Fact]
    public void Find_NothingRouted_Null()
    {
        Assert.Null(_routes.Find(Network + 2));
    }

    [Fact]
    public void Set_ThenFind_TheSession_InEveryPageAndOnlyAtItsAddress()
    {
        var first = TestSessions.New(1);
        var last = TestSessions.New(2);
        _routes.Set(Network + 2, first);
        _routes.Set(Network + (1 << 15) - 2, last);

        Assert.Same(first, _routes.Find(Network + 2));
        Assert.Same(last, _routes.Find(Network + (1 << 15) - 2));
        Assert.Null(_routes.Find(Network + 3));
        Assert.Null(_routes.Find(Network + 258));
    }

    [Fact]
    public void Set_AddressRoutedAlready_TheNewSessionReplacesIt_AndRemoveActsOnlyWhileTheAddressLeadsToThatSession()
    {
        var old = TestSessions.New(1);
        var current = TestSessions.New(2);
        _routes.Set(Network + 9, old);

        _routes.Set(Network + 9, current);
        Assert.Same(current, _routes.Find(Network + 9));

        _routes.Remove(Network + 9, old);
        Assert.Same(current, _routes.Find(Network + 9));

        _routes.Remove(Network + 9, current);
        Assert.Null(_routes.Find(Network + 9));
    }

    [Fact]
    public void OutsideThePool_NeverFound_NotRemovable_AndRefusedForASession()
    {
        var session = TestSessions.New();

        Assert.Null(_routes.Find(Network - 1));
        Assert.Null(_routes.Find(Network + (1 << 15)));
        _routes.Remove(Network + (1 << 15), session);
        Assert.Throws<ArgumentOutOfRangeException>(() => _routes.Set(Network + (1 << 15), session));
    }

    [Fact]
    public void ASlash8Pool_RoutesItsLastAddress_AndNoOther()
    {
        var routes = new Ipv4Routes(new IPv4AddressPool(IPNetwork.Parse("10.0.0.0/8")));
        var session = TestSessions.New();
        uint last = IPv4AddressPool.ToUInt32(IPAddress.Parse("10.255.255.254"));

        routes.Set(last, session);

        Assert.Same(session, routes.Find(last));
        Assert.Null(routes.Find(IPv4AddressPool.ToUInt32(IPAddress.Parse("10.0.0.2"))));
    }
}
