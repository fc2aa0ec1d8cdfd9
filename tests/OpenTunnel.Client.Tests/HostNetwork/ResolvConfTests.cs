using System.Net;
using OpenTunnel.Client.HostNetwork;

namespace OpenTunnel.Client.Tests.HostNetwork;

[Trait("Category", "Unit")]
public sealed class ResolvConfTests
{
    [Fact]
    public void Render_ServersAndDomains_AtMostThreeServersThenTheSearchLine()
    {
        var lease = new TunnelLease
        {
            Mtu = 1400,
            DnsServers = [.. new[] { "198.18.2.53", "198.18.2.54", "2001:db8:2::53", "198.18.2.55" }.Select(IPAddress.Parse)],
            DefaultDomain = "corp.test",
            SplitDns = ["corp.test", "lab.test"],
        };

        string text = ResolvConf.Render(lease);

        Assert.Equal(
            ResolvConf.Marker + "\nnameserver 198.18.2.53\nnameserver 198.18.2.54\nnameserver 2001:db8:2::53\nsearch corp.test lab.test\n",
            text);
    }
}
