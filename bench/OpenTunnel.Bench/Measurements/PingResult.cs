using System.Globalization;
using System.Text.RegularExpressions;

namespace OpenTunnel.Bench.Measurements;

/// <summary>The summary of an iputils ping run: round-trip times in ms and the loss.</summary>
internal readonly partial record struct PingResult(double MinMs, double AverageMs, double MaxMs, double DeviationMs, double LossPercent)
{
    /// <summary>Reads "N% packet loss" and "rtt min/avg/max/mdev = a/b/c/d ms". Throws <see cref="FormatException"/> when no reply came back.</summary>
    public static PingResult Parse(string output)
    {
        var loss = Loss().Match(output);
        var rtt = Rtt().Match(output);
        if (!loss.Success || !rtt.Success)
        {
            throw new FormatException($"ping got no reply: {output.Trim()}");
        }

        return new PingResult(
            Number(rtt.Groups[1]), Number(rtt.Groups[2]), Number(rtt.Groups[3]), Number(rtt.Groups[4]), Number(loss.Groups[1]));
    }

    private static double Number(Group group) => double.Parse(group.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"([0-9.]+)% packet loss")]
    private static partial Regex Loss();

    [GeneratedRegex(@"rtt min/avg/max/mdev = ([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+) ms")]
    private static partial Regex Rtt();
}
