using OpenTunnel.Agent.Hosting;

namespace OpenTunnel.Agent.Tests.Hosting;

[Trait("Category", "Unit")]
public sealed class AgentOptionsTests
{
    [Fact]
    public void Validate_Defaults_AreValid() => Assert.Empty(new AgentOptions().Validate());

    [Fact]
    public void Validate_BadValues_NameEachSetting()
    {
        var options = new AgentOptions
        {
            DataDirectory = "relative",
            ManagementUrl = "http://plain.test",
            CaPin = "sha256//abc",
            TelemetryIntervalSeconds = 0,
            QueueCapacity = 1,
        };

        IReadOnlyList<string> errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith("DataDirectory must be an absolute path", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ManagementUrl 'http://plain.test' must be an absolute https URL", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("CaPin 'sha256//abc' must read pin-sha256:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("TelemetryIntervalSeconds is 0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("QueueCapacity is 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_UnknownSetting_IsRefusedNamingIt()
    {
        var refused = Assert.Throws<AgentConfigurationException>(() =>
            AgentOptionsLoader.Load(null, new Dictionary<string, string?> { ["TelemetryIntervalSecond"] = "5" }));

        Assert.Contains("TelemetryIntervalSecond", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Overrides_AreBound() =>
        Assert.Equal(5, AgentOptionsLoader.Load(null, new Dictionary<string, string?> { ["TelemetryIntervalSeconds"] = "5" }).TelemetryIntervalSeconds);
}
