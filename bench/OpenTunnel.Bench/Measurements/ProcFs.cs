using System.Globalization;

namespace OpenTunnel.Bench.Measurements;

/// <summary>Memory of a set of processes from /proc/PID/smaps_rollup, in KiB.</summary>
/// <param name="RssKib">Resident set: shared pages counted once per process.</param>
/// <param name="PssKib">Proportional set: each shared page split among the processes that map it, the fair sum for ocserv's many workers.</param>
internal readonly record struct ProcessMemory(long RssKib, long PssKib);

/// <summary>CPU ticks per process at one moment.</summary>
internal sealed class CpuSnapshot(IReadOnlyDictionary<int, long> ticks)
{
    /// <summary>
    /// CPU seconds the processes of <paramref name="later"/> used since this snapshot; a process
    /// that started in between counts from zero (it was born in the window).
    /// </summary>
    public double SecondsUntil(CpuSnapshot later)
    {
        long sum = 0;
        foreach (var (pid, t) in later.Ticks)
        {
            sum += t - ticks.GetValueOrDefault(pid);
        }

        return sum / ProcFs.TicksPerSecond;
    }

    private IReadOnlyDictionary<int, long> Ticks => ticks;
}

/// <summary>
/// Reads CPU time and memory of processes from /proc (proc(5)), the way the benchmark charges a
/// gateway: the sum over every process of the server (for ocserv: main, sec-mod and the workers).
/// </summary>
internal static class ProcFs
{
    /// <summary>Clock ticks per second of /proc/PID/stat's utime and stime: USER_HZ, which Linux fixes at 100 for user space.</summary>
    public const double TicksPerSecond = 100;

    /// <summary>utime + stime of each of <paramref name="pids"/> now, in ticks; a process that already ended is left out.</summary>
    public static CpuSnapshot Cpu(IEnumerable<int> pids)
    {
        var ticks = new Dictionary<int, long>();
        foreach (int pid in pids)
        {
            string? stat = TryRead($"/proc/{pid}/stat");
            if (stat is not null && TryParseCpuTicks(stat, out long t))
            {
                ticks[pid] = t;
            }
        }

        return new CpuSnapshot(ticks);
    }

    /// <summary>RSS and PSS summed over <paramref name="pids"/>.</summary>
    public static ProcessMemory Memory(IEnumerable<int> pids)
    {
        long rss = 0;
        long pss = 0;
        foreach (int pid in pids)
        {
            string? rollup = TryRead($"/proc/{pid}/smaps_rollup");
            if (rollup is not null)
            {
                var m = ParseSmapsRollup(rollup);
                rss += m.RssKib;
                pss += m.PssKib;
            }
        }

        return new ProcessMemory(rss, pss);
    }

    /// <summary>
    /// utime + stime (fields 14 and 15) of a /proc/PID/stat line. The command name (field 2) may
    /// hold spaces and parentheses, so fields are counted from the last ')'.
    /// </summary>
    public static bool TryParseCpuTicks(string stat, out long ticks)
    {
        ticks = 0;
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }

        string[] fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // After the name: state is field 3, so utime (14) and stime (15) are at indexes 11 and 12.
        if (fields.Length < 13
            || !long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out long utime)
            || !long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out long stime))
        {
            return false;
        }

        ticks = utime + stime;
        return true;
    }

    /// <summary>The Rss and Pss lines of /proc/PID/smaps_rollup ("Rss:  1234 kB").</summary>
    public static ProcessMemory ParseSmapsRollup(string text)
    {
        long rss = 0;
        long pss = 0;
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                rss = KibValue(line);
            }
            else if (line.StartsWith("Pss:", StringComparison.Ordinal))
            {
                pss = KibValue(line);
            }
        }

        return new ProcessMemory(rss, pss);
    }

    private static long KibValue(string line)
    {
        string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : 0;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process ended between listing and reading.
            return null;
        }
    }
}
