using System.Text.Json.Nodes;
using OpenTunnel.Gateway.Contracts.Configuration;

namespace OpenTunnel.Gateway.Contracts.Tests.Configuration;

[Trait("Category", "Unit")]
public sealed class GatewayConfigurationDocumentTests
{
    private static JsonObject Document() => JsonNode.Parse("""
        {
          "listener": { "Address": "198.18.1.1", "Port": 443 },
          "network": { "IPv4Pool": "198.18.129.0/24", "TunDevice": "otun0" },
          "Udp": { "Enabled": false }
        }
        """)!.AsObject();

    [Fact]
    public void WithRunningRestartSettings_KeepsRunningPortAndPool_AndPendingRestartNamesThem()
    {
        JsonObject document = Document();
        var running = new GatewayConfigurationDocument.RunningGateway(4443, "198.18.128.0/24", true);

        JsonObject live = GatewayConfigurationDocument.WithRunningRestartSettings(document, running);
        List<string> pending = GatewayConfigurationDocument.PendingRestart(document, running);

        Assert.Equal(4443, live["listener"]!["Port"]!.GetValue<int>());
        Assert.Equal("198.18.128.0/24", live["network"]!["IPv4Pool"]!.GetValue<string>());
        Assert.True(live["Udp"]!["Enabled"]!.GetValue<bool>());
        Assert.False(document["Udp"]!["Enabled"]!.GetValue<bool>());
        Assert.Equal(["Listener:Port 4443 → 443", "Network:IPv4Pool 198.18.128.0/24 → 198.18.129.0/24", "Udp:Enabled true → false"], pending);
        Assert.Empty(GatewayConfigurationDocument.PendingRestart(live, running));
    }

    [Fact]
    public void WithRunningRestartSettings_KeepsTheRunningIPv6Pool_AndPendingRestartNamesANewOne()
    {
        JsonObject document = Document();
        GatewayConfigurationDocument.Set(GatewayConfigurationDocument.Section(document, "Network"), "IPv6Pool", "2001:db8:128::/64");
        var withoutIPv6 = new GatewayConfigurationDocument.RunningGateway(443, "198.18.129.0/24", false);
        var withIPv6 = withoutIPv6 with { Pool6 = "2001:db8:128::/64" };

        JsonObject live = GatewayConfigurationDocument.WithRunningRestartSettings(document, withoutIPv6);

        Assert.DoesNotContain(live["network"]!.AsObject(), p => string.Equals(p.Key, "IPv6Pool", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(["Network:IPv6Pool none → 2001:db8:128::/64"], GatewayConfigurationDocument.PendingRestart(document, withoutIPv6));
        Assert.Empty(GatewayConfigurationDocument.PendingRestart(document, withIPv6 with { Pool6 = "2001:db8:128:0::/64" }));
        Assert.Equal(["Network:IPv6Pool 2001:db8:128::/64 → none"], GatewayConfigurationDocument.PendingRestart(Document(), withIPv6));
    }

    [Fact]
    public void Set_KeyOfAnotherCase_IsReplacedNotDoubled()
    {
        JsonObject network = GatewayConfigurationDocument.Section(Document(), "Network");

        GatewayConfigurationDocument.Set(network, "ipv4pool", "198.18.130.0/24");

        Assert.Equal("198.18.130.0/24", Assert.Single(network, p => string.Equals(p.Key, "IPv4Pool", StringComparison.OrdinalIgnoreCase)).Value!.GetValue<string>());
    }
}
