using System.Text.Json;
using OpenTunnel.Bench.Report;

namespace OpenTunnel.Bench.Tests.Report;

/// <summary>OpenTunnel's own client beside openconnect in the table, the JSON and the goal lines.</summary>
[Trait("Category", "Unit")]
public sealed class NativeGoalTests
{
    private static ResultSet Results()
    {
        var results = new ResultSet();
        results.Add(Figures.DtlsUpload, Target.OpenTunnel, 1000);
        results.Add(Figures.DtlsUpload, Target.OpenTunnelNative, 3100);
        results.Add(Figures.DtlsDownload, Target.OpenTunnel, 1000);
        results.Add(Figures.DtlsDownload, Target.OpenTunnelNative, 2500);
        results.Add(Figures.DtlsClientCpu, Target.OpenTunnel, 8);
        results.Add(Figures.DtlsClientCpu, Target.OpenTunnelNative, 4);
        results.Add(Figures.Connect, Target.OpenTunnel, 80);
        results.Add(Figures.Connect, Target.OpenTunnelNative, 120);
        results.Add(Figures.DtlsUpload, Target.Ocserv, 500);
        return results;
    }

    [Fact]
    public void Evaluate_ThroughputAgainst3Gbits_CpuAndConnectAsRatiosNativeOverOpenconnect()
    {
        var checks = NativeGoal.Evaluate(Results()).ToDictionary(c => c.What);

        Assert.Equal(5, checks.Count);
        Assert.True(checks["native client DTLS upload"].Met);
        Assert.Equal(3100, checks["native client DTLS upload"].Value);
        Assert.False(checks["native client DTLS download"].Met);
        Assert.Equal(0.5, checks["client CPU per GB, DTLS, native/openconnect"].Value);
        Assert.True(checks["client CPU per GB, DTLS, native/openconnect"].Met);
        Assert.Equal(1.5, checks["connect to the first packet, native/openconnect"].Value);
        Assert.False(checks["connect to the first packet, native/openconnect"].Met);
        Assert.Null(checks["client CPU per GB, TLS only, native/openconnect"].Met);
    }

    [Fact]
    public void Evaluate_RunWithoutTheNativeClient_HasNoGoal()
    {
        var results = new ResultSet();
        results.Add(Figures.DtlsUpload, Target.OpenTunnel, 1000);

        Assert.Empty(NativeGoal.Evaluate(results));
        Assert.DoesNotContain("goal:", ResultTable.Render(results, ResultTableTests.Info), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Table_HasTheNativeColumn_TheRatioNativeOverOpenconnect_AndTheGoalLines()
    {
        string table = ResultTable.Render(Results(), ResultTableTests.Info);

        string header = table.Split('\n').First(l => l.StartsWith("| figure", StringComparison.Ordinal));
        Assert.Contains("| OT native client |", header, StringComparison.Ordinal);
        Assert.EndsWith("native/openconnect |", header.TrimEnd(), StringComparison.Ordinal);
        string[] upload = [.. table.Split('\n').Single(l => l.StartsWith("| Upload, DTLS", StringComparison.Ordinal)).Trim().Trim('|').Split('|').Select(c => c.Trim())];
        Assert.Equal(["Upload, DTLS", "Mbit/s", "1000", "3100", "500", "–", "2.00", "–", "3.10"], upload);
        Assert.Contains("goal: native client DTLS upload 3100 Mbit/s (at least 3000 Mbit/s): met", table, StringComparison.Ordinal);
        Assert.Contains("goal: native client DTLS download 2500 Mbit/s (at least 3000 Mbit/s): not met", table, StringComparison.Ordinal);
        Assert.Contains("goal: client CPU per GB, DTLS, native/openconnect 0.50 (below 1): met", table, StringComparison.Ordinal);
        Assert.Contains("goal: connect to the first packet, native/openconnect 1.50 (below 1): not met", table, StringComparison.Ordinal);
        Assert.Contains("goal: client CPU per GB, TLS only, native/openconnect – (below 1): not measured", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Json_CarriesTheNativeSummaries_TheRatio_AndTheGoal()
    {
        using var json = JsonDocument.Parse(ResultsDocument.Render(Results(), ResultTableTests.Info));

        var upload = json.RootElement.GetProperty("figures").EnumerateArray().Single(f => f.GetProperty("key").GetString() == "dtls.upload");
        Assert.Equal(3100, upload.GetProperty("opentunnel-native").GetProperty("median").GetDouble());
        Assert.Equal(3.1, upload.GetProperty("ratio_native_openconnect").GetDouble(), 10);
        var goal = json.RootElement.GetProperty("native_goal");
        Assert.Equal(5, goal.GetArrayLength());
        Assert.Equal("dtls.upload", goal[0].GetProperty("key").GetString());
        Assert.True(goal[0].GetProperty("met").GetBoolean());
    }
}
