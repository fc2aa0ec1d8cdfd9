using System.Text.Json;

namespace OpenTunnel.Bench.Measurements;

/// <summary>What one iperf3 run moved, from its JSON report (iperf3 -J), receiver side.</summary>
internal readonly record struct IperfResult(double MegabitsPerSecond, long Bytes, long Retransmits)
{
    /// <summary>
    /// Reads end.sum_received (what arrived, the figure that counts through a lossy tunnel) and
    /// end.sum_sent.retransmits. Throws <see cref="FormatException"/> with iperf3's own error when the run failed.
    /// </summary>
    public static IperfResult Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"iperf3 printed no JSON report: {Truncate(json)}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                throw new FormatException("iperf3 failed: " + error.GetString());
            }

            if (!root.TryGetProperty("end", out var end) || !end.TryGetProperty("sum_received", out var received))
            {
                throw new FormatException("iperf3's report has no end.sum_received.");
            }

            long retransmits = end.TryGetProperty("sum_sent", out var sent) && sent.TryGetProperty("retransmits", out var r) ? r.GetInt64() : 0;
            return new IperfResult(
                received.GetProperty("bits_per_second").GetDouble() / 1e6,
                received.GetProperty("bytes").GetInt64(),
                retransmits);
        }
    }

    private static string Truncate(string s) => s.Length <= 200 ? s : s[..200] + "…";
}
