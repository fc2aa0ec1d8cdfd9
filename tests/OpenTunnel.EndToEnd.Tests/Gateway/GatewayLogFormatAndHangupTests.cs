using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>The gateway's Log:Format setting and SIGHUP, on the real process.</summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayLogFormatAndHangupTests
{
    private const int SIGHUP = 1;

    [Fact]
    public async Task JsonLogFormat_WritesOneJsonObjectPerLine_AndSighupReloadsTheFile()
    {
        using var gateway = await GatewayInstance.StartAsync(configure: c => c["Log"] = new JsonObject { ["Format"] = "json" });
        JsonObject config = JsonNode.Parse(File.ReadAllText(gateway.ConfigFile))!.AsObject();
        config["Banner"] = "Reloaded by SIGHUP";
        File.WriteAllText(gateway.ConfigFile, config.ToJsonString());

        gateway.Process.Signal(SIGHUP);
        await gateway.Process.WaitForOutputAsync("Configuration applied from", TimeSpan.FromSeconds(60));
        config["Log"] = new JsonObject { ["Format"] = "simple" };
        File.WriteAllText(gateway.ConfigFile, config.ToJsonString());
        gateway.Process.Signal(SIGHUP);
        await gateway.Process.WaitForOutputAsync("refused, the running one stays", TimeSpan.FromSeconds(60));

        List<JsonElement> lines = [.. gateway.Process.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)];
        Assert.Contains(lines, l => l.GetProperty("EventId").GetInt32() == 100 && l.GetProperty("Category").GetString() == "OpenTunnel.Gateway");
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", lines[0].GetProperty("Timestamp").GetString()!);
        Assert.Contains(lines, l => l.GetProperty("EventId").GetInt32() == 500 && l.GetProperty("Message").GetString()!.Contains(gateway.ConfigFile, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.GetProperty("EventId").GetInt32() == 501 && l.GetProperty("Message").GetString()!.Contains("Log:Format", StringComparison.Ordinal));
        Assert.False(gateway.Process.HasExited, "SIGHUP ended the gateway.");
        Assert.DoesNotContain(gateway.Process.Output.Split('\n'), l => l.Length > 0 && !l.StartsWith('{'));
    }
}
