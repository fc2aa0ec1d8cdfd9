using OpenTunnel.Bench.Measurements;

namespace OpenTunnel.Bench.Tests.Measurements;

[Trait("Category", "Unit")]
public sealed class ProcFsTests
{
    [Fact]
    public void TryParseCpuTicks_NameWithSpacesAndParentheses_ReadsUtimePlusStime()
    {
        // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        const string stat = "4242 (ocserv-worker (x) y) S 1 1 1 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 1 0 99 1000 50";

        Assert.True(ProcFs.TryParseCpuTicks(stat, out long ticks));
        Assert.Equal(1234 + 567, ticks);
    }

    [Theory]
    [InlineData("4242 ocserv S 1")]
    [InlineData("4242 (ocserv) S 1 1")]
    [InlineData("4242 (ocserv) S 1 1 1 0 -1 4194560 100 0 0 0 x 567")]
    public void TryParseCpuTicks_Truncated_ReturnsFalse(string stat)
    {
        Assert.False(ProcFs.TryParseCpuTicks(stat, out _));
    }

    [Fact]
    public void ParseSmapsRollup_ReadsRssAndPss()
    {
        const string rollup = """
            55d0c0a00000-7ffd2b9ff000 ---p 00000000 00:00 0                          [rollup]
            Rss:                6620 kB
            Pss:                 931 kB
            Pss_Dirty:           512 kB
            Shared_Clean:       5500 kB
            """;

        Assert.Equal(new ProcessMemory(6620, 931), ProcFs.ParseSmapsRollup(rollup));
    }

    [Fact]
    public void CpuOfThisProcess_GrowsWhileItWorks()
    {
        var before = ProcFs.Cpu([Environment.ProcessId]);
        // Spin until the runtime's own account says this process used 200 ms of CPU, however
        // loaded the machine is (a wall-clock spin gets too little CPU on a busy machine).
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        var target = self.TotalProcessorTime + TimeSpan.FromMilliseconds(200);
        var giveUp = DateTime.UtcNow.AddSeconds(60);
        long spin = 0;
        while (DateTime.UtcNow < giveUp)
        {
            spin++;
            if ((spin & 0xFFFF) == 0)
            {
                self.Refresh();
                if (self.TotalProcessorTime >= target)
                {
                    break;
                }
            }
        }

        double used = before.SecondsUntil(ProcFs.Cpu([Environment.ProcessId]));

        Assert.True(spin > 0);
        Assert.InRange(used, 0.15, 60);
    }

    [Fact]
    public void Memory_OfThisProcess_IsNonZeroAndPssAtMostRss()
    {
        var memory = ProcFs.Memory([Environment.ProcessId]);

        Assert.True(memory.RssKib > 0);
        Assert.InRange(memory.PssKib, 1, memory.RssKib);
    }
}
