using OpenTunnel.Agent.Telemetry;

namespace OpenTunnel.Agent.Tests.Telemetry;

[Trait("Category", "Unit")]
public sealed class CpuLoadWindowTests
{
    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Add_FirstReading_IsNull() => Assert.Null(new CpuLoadWindow(CpuLoadWindow.FiveMinutes).Add(Start, new CpuTimes(10, 100)));

    [Fact]
    public void Add_ReadingsInsideTheWindow_AverageFromTheOldest()
    {
        var window = new CpuLoadWindow(CpuLoadWindow.FiveMinutes);
        window.Add(Start, new CpuTimes(0, 0));
        window.Add(Start.AddMinutes(1), new CpuTimes(100, 100));

        double? average = window.Add(Start.AddMinutes(2), new CpuTimes(100, 200));

        Assert.Equal(50, average);
    }

    [Fact]
    public void Add_ReadingsOlderThanTheWindow_FallOut()
    {
        var window = new CpuLoadWindow(CpuLoadWindow.FiveMinutes);
        window.Add(Start, new CpuTimes(0, 0));
        window.Add(Start.AddMinutes(5), new CpuTimes(500, 500));

        double? average = window.Add(Start.AddMinutes(10), new CpuTimes(500, 1000));

        Assert.Equal(0, average);
    }

    [Fact]
    public void Add_CountersWentBack_IsNull()
    {
        var window = new CpuLoadWindow(CpuLoadWindow.FiveMinutes);
        window.Add(Start, new CpuTimes(100, 1000));

        Assert.Null(window.Add(Start.AddMinutes(1), new CpuTimes(10, 100)));
    }
}
