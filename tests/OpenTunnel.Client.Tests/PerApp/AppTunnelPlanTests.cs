using OpenTunnel.Client.PerApp;

namespace OpenTunnel.Client.Tests.PerApp;

[Trait("Category", "Unit")]
public sealed class AppTunnelPlanTests
{
    /// <summary>What openconnect 9.01 passed its script at connect in the end-to-end topology (split-include of the corp subnet, DNS, suffix, IPv6).</summary>
    private static Dictionary<string, string> Connect() => new(StringComparer.Ordinal)
    {
        ["reason"] = "connect",
        ["TUNDEV"] = "otpa0",
        ["VPNGATEWAY"] = "198.18.1.1",
        ["INTERNAL_IP4_ADDRESS"] = "198.18.128.7",
        ["INTERNAL_IP4_NETMASK"] = "255.255.255.0",
        ["INTERNAL_IP4_NETADDR"] = "198.18.128.0",
        ["INTERNAL_IP4_MTU"] = "1406",
        ["INTERNAL_IP4_DNS"] = "198.18.2.53 198.18.2.54",
        ["INTERNAL_IP6_ADDRESS"] = "2001:db8:128::7",
        ["INTERNAL_IP6_NETMASK"] = "2001:db8:128::7/64",
        ["CISCO_DEF_DOMAIN"] = "corp.opentunnel.test",
        ["CISCO_SPLIT_INC"] = "1",
        ["CISCO_SPLIT_INC_0_ADDR"] = "198.18.2.0",
        ["CISCO_SPLIT_INC_0_MASK"] = "255.255.255.0",
        ["CISCO_SPLIT_INC_0_MASKLEN"] = "24",
        ["CISCO_SPLIT_EXC"] = "1",
        ["CISCO_SPLIT_EXC_0_ADDR"] = "198.18.2.128",
        ["CISCO_SPLIT_EXC_0_MASKLEN"] = "25",
    };

    [Fact]
    public void ForConnect_MovesTheDeviceIntoTheNamespace_ConfiguresItThere_OnlyTunnelRoutes()
    {
        AppTunnelPlan plan = AppTunnelPlan.ForConnect(Connect(), "opentunnel-abc");

        Assert.Equal(
            [
                "link set dev otpa0 netns opentunnel-abc",
                "-n opentunnel-abc link set dev otpa0 up mtu 1406",
                "-n opentunnel-abc addr add 198.18.128.7/32 dev otpa0",
                "-n opentunnel-abc -6 addr add 2001:db8:128::7/64 dev otpa0 nodad",
                "-n opentunnel-abc route replace 198.18.128.0/24 dev otpa0",
                "-n opentunnel-abc route replace 198.18.2.0/24 dev otpa0",
                "-n opentunnel-abc -6 route replace ::/1 dev otpa0",
                "-n opentunnel-abc -6 route replace 8000::/1 dev otpa0",
            ],
            plan.IpCommands.Select(c => string.Join(' ', c)));
        Assert.Contains("nameserver 198.18.2.53\nnameserver 198.18.2.54\nsearch corp.opentunnel.test\n", plan.ResolvConf, StringComparison.Ordinal);
    }

    [Fact]
    public void ForConnect_SplitExcludesAndTheGateway_GetNoRouteInTheNamespace()
    {
        AppTunnelPlan plan = AppTunnelPlan.ForConnect(Connect(), "ns");

        Assert.DoesNotContain(plan.IpCommands, c => c.Contains("198.18.2.128/25") || c.Contains("198.18.1.1/32") || c.Contains("via"));
    }

    [Theory]
    [InlineData("TUNDEV", null, "TUNDEV is not set.")]
    [InlineData("INTERNAL_IP4_MTU", "9", "INTERNAL_IP4_MTU '9' is not an MTU (576 to 65535).")]
    [InlineData("INTERNAL_IP4_DNS", "198.18.2.53 dns.example", "INTERNAL_IP4_DNS 'dns.example' is not an IP address.")]
    [InlineData("VPNGATEWAY", "vpn.example", "VPNGATEWAY 'vpn.example' is not an IP address.")]
    [InlineData("CISCO_SPLIT_INC", "2", "CISCO_SPLIT_INC_1_ADDR is not set.")]
    public void ForConnect_MissingOrWrongVariable_IsRefusedNamingIt(string variable, string? value, string message)
    {
        Dictionary<string, string> variables = Connect();
        if (value is null)
        {
            variables.Remove(variable);
        }
        else
        {
            variables[variable] = value;
        }

        var error = Assert.Throws<FormatException>(() => AppTunnelPlan.ForConnect(variables, "ns"));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Lease_WithoutAddresses_IsRefused()
    {
        Dictionary<string, string> variables = Connect();
        variables.Remove("INTERNAL_IP4_ADDRESS");
        variables.Remove("INTERNAL_IP6_ADDRESS");
        variables.Remove("INTERNAL_IP6_NETMASK");

        var error = Assert.Throws<FormatException>(() => AppTunnelPlan.Lease(variables));
        Assert.Equal("Neither INTERNAL_IP4_ADDRESS nor INTERNAL_IP6_ADDRESS is set.", error.Message);
    }
}
