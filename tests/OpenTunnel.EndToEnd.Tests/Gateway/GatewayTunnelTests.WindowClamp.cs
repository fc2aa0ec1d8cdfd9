using System.Globalization;
using System.Text.Json.Nodes;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

public sealed partial class GatewayTunnelTests
{
    private const int WindowIperfPort = 5301;

    /// <summary>
    /// Network:TlsWindowClamp: a download from the corp host to alice over TLS. The corp host's
    /// iperf3 reports the largest window alice's TCP advertised to it: held to the gateway's floor
    /// of 256 KiB (a client next to the gateway carries little in a round trip), where without the
    /// clamp Linux grows it to megabytes.
    /// </summary>
    [Fact]
    public async Task TlsWindowClamp_DownloadOverTls_TheClientsWindowIsHeldDownUntilSwitchedOff()
    {
        Prerequisites.RequireRootAndCommands("iperf3");
        long clamped = await LargestWindowSeenByTheSenderAsync();

        string off = Gateway.Directory.File("no-window-clamp.json");
        var config = JsonNode.Parse(File.ReadAllText(Gateway.ConfigFile))!;
        config["Network"]!["TlsWindowClamp"] = false;
        File.WriteAllText(off, config.ToJsonString());
        await Gateway.ControlAsync(new JsonObject { ["command"] = "reload", ["file"] = off });
        long free;
        try
        {
            free = await LargestWindowSeenByTheSenderAsync();
        }
        finally
        {
            await Gateway.ControlAsync(new JsonObject { ["command"] = "reload" });
        }

        Assert.InRange(clamped, 1, 1024 * 1024);
        Assert.True(free > 2 * clamped, $"Without the clamp the window reached {free} bytes, with it {clamped}.");
    }

    /// <summary>Runs a 3 s iperf3 download from the corp host to alice; returns the largest send window the corp side saw (alice's advertised window).</summary>
    private async Task<long> LargestWindowSeenByTheSenderAsync()
    {
        string port = WindowIperfPort.ToString(CultureInfo.InvariantCulture);
        using var server = Gateway.Topology.Start(Gateway.Topology.Corp, "iperf3", ["-s", "-1", "-J", "-B", NetworkTopology.CorpAddress, "-p", port]);
        await Poll.UntilAsync(() => Gateway.Topology.Exec(Gateway.Topology.Corp, "ss", "-Hltn", $"sport = :{port}").StandardOutput.Length > 0, TimeSpan.FromSeconds(10), "iperf3 to listen on the corp host");
        var result = Gateway.Topology.Exec(Gateway.Topology.Client, "iperf3",
            ["-c", NetworkTopology.CorpAddress, "-p", port, "-R", "-t", "3", "-J", "--get-server-output"], TimeSpan.FromSeconds(60)).EnsureSuccess();
        var sender = JsonNode.Parse(result.StandardOutput)!["server_output_json"]!["end"]!["streams"]![0]!["sender"]!;
        return sender["max_snd_wnd"]!.GetValue<long>();
    }
}
