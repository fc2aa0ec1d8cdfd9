using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Agents;

namespace OpenTunnel.Management.Tests.Agents;

[Trait("Category", "Unit")]
public sealed class TelemetryIngestTests
{
    private static readonly DateTime Now = new(2026, 6, 1, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Validate_RisingSequences_AreValid() =>
        Assert.True(TelemetryIngest.Validate(new TelemetryBatch([Sample(1), Sample(2), Sample(7)]), Now, 500).IsValid);

    [Fact]
    public void Validate_Empty_Oversized_Unordered_Future_AndBadPercent_NameTheField()
    {
        Assert.Contains("samples", TelemetryIngest.Validate(new TelemetryBatch([]), Now, 500).ToDictionary().Keys);
        Assert.Contains("samples", TelemetryIngest.Validate(new TelemetryBatch([Sample(1), Sample(2)]), Now, 1).ToDictionary().Keys);
        var errors = TelemetryIngest.Validate(new TelemetryBatch([Sample(3), Sample(2) with { At = Now.AddHours(1), CpuPercent = 140 }]), Now, 500).ToDictionary();

        Assert.Contains("samples[1].sequence", errors.Keys);
        Assert.Contains("samples[1].at", errors.Keys);
        Assert.Contains("samples[1].cpuPercent", errors.Keys);
    }

    private static TelemetrySample Sample(long sequence) =>
        new(sequence, Now, 10, 20, null, null, null, null, null, null, null, null, null, null, null, null, null, null, false, null);
}
