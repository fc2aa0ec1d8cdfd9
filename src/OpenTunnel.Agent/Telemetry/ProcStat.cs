using System.Globalization;

namespace OpenTunnel.Agent.Telemetry;

/// <summary>CPU time counters of the "cpu" line of /proc/stat, in clock ticks.</summary>
public readonly record struct CpuTimes(ulong Busy, ulong Total);

/// <summary>The two /proc/meminfo values memory use is computed from, in bytes.</summary>
public readonly record struct MemoryInfo(long TotalBytes, long AvailableBytes)
{
    /// <summary>Memory in use (total less available, as free(1) counts "available"), in percent.</summary>
    public double UsedPercent => TotalBytes <= 0 ? 0 : 100.0 * (TotalBytes - AvailableBytes) / TotalBytes;
}

/// <summary>Parsers of the Linux /proc files the agent reads (proc(5)); pure, so they are tested on sample text.</summary>
public static class ProcStat
{
    /// <summary>
    /// The aggregate "cpu" line: user nice system idle iowait irq softirq steal (guest time is
    /// already inside user and nice). Idle and iowait count as not busy.
    /// </summary>
    public static CpuTimes? ParseCpu(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        foreach (string line in stat.Split('\n'))
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                continue;
            }

            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            ulong total = 0;
            ulong idle = 0;
            for (int i = 1; i < fields.Length && i <= 8; i++)
            {
                if (!ulong.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
                {
                    return null;
                }

                total += value;
                if (i is 4 or 5)
                {
                    idle += value;
                }
            }

            return fields.Length >= 5 ? new CpuTimes(total - idle, total) : null;
        }

        return null;
    }

    /// <summary>MemTotal and MemAvailable (kB in the file).</summary>
    public static MemoryInfo? ParseMemory(string meminfo)
    {
        ArgumentNullException.ThrowIfNull(meminfo);
        long? total = null;
        long? available = null;
        foreach (string line in meminfo.Split('\n'))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                total = Kilobytes(line);
            }
            else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
            {
                available = Kilobytes(line);
            }
        }

        return total is { } t && available is { } a ? new MemoryInfo(t, a) : null;
    }

    private static long? Kilobytes(string line)
    {
        string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long kilobytes) ? kilobytes * 1024 : null;
    }
}
