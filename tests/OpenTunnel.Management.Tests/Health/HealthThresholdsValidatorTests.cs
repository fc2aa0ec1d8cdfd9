using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Health;

namespace OpenTunnel.Management.Tests.Health;

[Trait("Category", "Unit")]
public sealed class HealthThresholdsValidatorTests
{
    [Fact]
    public void Validate_Defaults_AreValid() => Assert.True(HealthThresholdsValidator.Validate(new HealthThresholds()).IsValid);

    [Fact]
    public void Validate_UnhealthyBelowWarning_NamesTheField()
    {
        var errors = HealthThresholdsValidator.Validate(new HealthThresholds { CpuHealthyMaximumPercent = 90, CpuUnhealthyPercent = 80, LatencyWarningMilliseconds = 30, CheckInMinutes = 0 }).ToDictionary();

        Assert.Contains("cpuUnhealthyPercent", errors.Keys);
        Assert.Contains("latencyUnhealthyMilliseconds", errors.Keys);
        Assert.Contains("checkInMinutes", errors.Keys);
    }
}
