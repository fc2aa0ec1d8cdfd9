using OpenTunnel.Client.Profiles;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Tests.Profiles;

[Trait("Category", "Unit")]
public sealed class ProxyEnvironmentTests
{
    [Fact]
    public void For_HostAndPort_ProxyVariablesInBothCases_WildcardExclusionAsLeadingDot()
    {
        IReadOnlyDictionary<string, string> variables = ProxyEnvironment.For(new DeviceProxy(null, "proxy.example.com", 3128, ["*.corp.example", "198.18.2.10"]));

        Assert.Equal("http://proxy.example.com:3128/", variables["http_proxy"]);
        Assert.Equal("http://proxy.example.com:3128/", variables["HTTPS_PROXY"]);
        Assert.Equal(".corp.example,198.18.2.10", variables["no_proxy"]);
        Assert.False(variables.ContainsKey("auto_proxy"));
    }

    [Fact]
    public void For_Ipv6Host_InBrackets()
    {
        Assert.Equal("http://[2001:db8::8]:8080/", ProxyEnvironment.For(new DeviceProxy(null, "2001:db8::8", 8080, []))["https_proxy"]);
    }

    [Fact]
    public void For_PacUrl_AutoProxyOnly()
    {
        IReadOnlyDictionary<string, string> variables = ProxyEnvironment.For(new DeviceProxy("http://198.18.2.10/proxy.pac", null, null, []));

        Assert.Equal(["auto_proxy"], variables.Keys);
        Assert.Equal("PAC http://198.18.2.10/proxy.pac", ProxyEnvironment.Describe(new DeviceProxy("http://198.18.2.10/proxy.pac", null, null, [])));
    }

    [Fact]
    public void For_NoProxy_Nothing()
    {
        Assert.Empty(ProxyEnvironment.For(null));
        Assert.Equal("none", ProxyEnvironment.Describe(null));
    }
}
