using System.Net;
using OpenTunnel.Client.OnDemand;

namespace OpenTunnel.Client.Tests.OnDemand;

[Trait("Category", "Unit")]
public sealed class StubResolvConfTests
{
    private const string Network = "# from DHCP\nnameserver 198.18.1.53\nnameserver 2001:db8:1::53\nsearch home.test\noptions edns0\ndomain office.corp.test\n";

    [Fact]
    public void Render_StubOnly_KeepsSearchDomainAndOptions()
    {
        string text = StubResolvConf.Render(IPAddress.Parse("127.0.0.153"), Network);

        Assert.Equal(StubResolvConf.Marker + "\nnameserver 127.0.0.153\nsearch home.test\noptions edns0\ndomain office.corp.test\n", text);
        Assert.True(StubResolvConf.IsStub(text));
        Assert.False(StubResolvConf.IsStub(Network));
        Assert.Equal([IPAddress.Parse("127.0.0.153")], StubResolvConf.Servers(text));
    }

    [Fact]
    public void ServersAndSearchDomains_AsGlibcReadsThem()
    {
        Assert.Equal([IPAddress.Parse("198.18.1.53"), IPAddress.Parse("2001:db8:1::53")], StubResolvConf.Servers(Network + "nameserver nonsense\n"));
        Assert.Equal(["office.corp.test"], StubResolvConf.SearchDomains(Network));
        Assert.Equal(["a.test", "b.test"], StubResolvConf.SearchDomains("search a.test\tb.test\n; search c.test\n"));
        Assert.Empty(StubResolvConf.SearchDomains("nameserver 198.18.1.53\n"));
    }
}
