namespace OpenTunnel.Platform.Linux.Tun;

/// <summary>
/// Reads an interface's counters from the kernel's /proc/net/dev table (net/core/net-procfs.c,
/// dev_seq_printf_stats): two header lines, then per interface its name and a colon, eight
/// receive fields (bytes, packets, errs, drop, fifo, frame, compressed, multicast) and eight
/// transmit fields (bytes, packets, errs, drop, fifo, colls, carrier, compressed).
/// </summary>
public static class ProcNetDev
{
    /// <summary>The transmit "drop" field: the 12th number after the colon.</summary>
    private const int TransmitDroppedField = 11;

    /// <summary>The transmit drops of <paramref name="device"/>; false when the table has no line for it or the line is cut short.</summary>
    public static bool TryReadTransmitDropped(ReadOnlySpan<char> table, string device, out long dropped)
    {
        ArgumentNullException.ThrowIfNull(device);
        dropped = 0;
        foreach (var line in table.EnumerateLines())
        {
            int colon = line.IndexOf(':');
            if (colon < 0 || !line[..colon].Trim().SequenceEqual(device))
            {
                continue;
            }

            var fields = line[(colon + 1)..];
            int index = 0;
            foreach (var range in fields.SplitAny(" \t"))
            {
                var field = fields[range];
                if (field.IsEmpty)
                {
                    continue;
                }

                if (index++ == TransmitDroppedField)
                {
                    return long.TryParse(field, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out dropped);
                }
            }

            return false;
        }

        return false;
    }
}
