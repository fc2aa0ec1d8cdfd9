using OpenTunnel.Agent.Telemetry;

namespace OpenTunnel.Agent.Tests.Telemetry;

[Trait("Category", "Unit")]
public sealed class ProcStatTests
{
    [Fact]
    public void ParseCpu_AggregateLine_CountsIdleAndIowaitAsNotBusy()
    {
        const string stat = "cpu  100 5 50 800 20 3 2 0 7 0\ncpu0 50 2 25 400 10 1 1 0 0 0\nintr 1 2 3\n";

        CpuTimes? times = ProcStat.ParseCpu(stat);

        Assert.Equal(new CpuTimes(160, 980), times);
    }

    [Fact]
    public void ParseCpu_NoCpuLine_IsNull() => Assert.Null(ProcStat.ParseCpu("intr 1 2 3\n"));

    [Fact]
    public void ParseMemory_TotalAndAvailable_GiveUsedPercent()
    {
        const string meminfo = "MemTotal:        8000000 kB\nMemFree:          100000 kB\nMemAvailable:    2000000 kB\n";

        MemoryInfo? memory = ProcStat.ParseMemory(meminfo);

        Assert.Equal(8_192_000_000, memory!.Value.TotalBytes);
        Assert.Equal(75, memory.Value.UsedPercent, 3);
    }

    [Fact]
    public void ParseMemory_WithoutAvailable_IsNull() => Assert.Null(ProcStat.ParseMemory("MemTotal: 8000000 kB\n"));
}
