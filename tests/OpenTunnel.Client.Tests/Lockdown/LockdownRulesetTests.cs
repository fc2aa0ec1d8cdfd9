using System.Net;
using OpenTunnel.Client.Cli;
using OpenTunnel.Client.Lockdown;

namespace OpenTunnel.Client.Tests.Lockdown;

[Trait("Category", "Unit")]
public sealed class LockdownRulesetTests
{
    [Fact]
    public void Build_ReplacesTheTableAtomically_LetsOutOnlyLoopbackTunnelAllowedAddressesAndLinkLocalEssentials()
    {
        string script = LockdownRuleset.Build("opentunnel0", [IPAddress.Parse("198.18.1.1"), IPAddress.Parse("2001:db8:1::1"), IPAddress.Parse("198.18.1.1"), IPAddress.Loopback]);

        Assert.Equal(
            """
            add table inet opentunnel-lockdown
            delete table inet opentunnel-lockdown
            table inet opentunnel-lockdown {
              chain output {
                type filter hook output priority filter; policy drop;
                oifname "lo" accept
                oifname "opentunnel0" accept
                ip daddr { 198.18.1.1, 127.0.0.1 } accept
                ip6 daddr { 2001:db8:1::1 } accept
                udp sport 68 udp dport 67 accept comment "DHCP"
                udp sport 546 udp dport 547 accept comment "DHCPv6"
                icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld2-listener-report } accept comment "neighbour discovery"
                counter drop comment "lockdown"
              }
            }

            """.ReplaceLineEndings("\n"),
            script);
    }

    [Theory]
    [InlineData("tun\"0")]
    [InlineData("a-device-name-too-long")]
    [InlineData("tun 0")]
    public void Build_ADeviceNameNftWouldMisread_IsRefused(string device)
    {
        var error = Assert.Throws<ArgumentException>(() => LockdownRuleset.Build(device, []));
        Assert.StartsWith($"'{device}' is not a network device name", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--non-inter", "--interface", "tun7" }, "tun7")]
    [InlineData(new[] { "--interface=vpn0" }, "vpn0")]
    [InlineData(new[] { "-i", "vpn1", "--non-inter" }, "vpn1")]
    [InlineData(new[] { "--non-inter" }, null)]
    public void InterfaceOption_FindsOpenConnectsDeviceName(string[] options, string? device) =>
        Assert.Equal(device, ConnectVerb.InterfaceOption(options));
}
