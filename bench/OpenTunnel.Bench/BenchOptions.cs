using System.Globalization;
using OpenTunnel.Bench.Report;

namespace OpenTunnel.Bench;

/// <summary>
/// Settings of a benchmark run, each with its default. <see cref="Parse"/> refuses a bad value
/// with a message that names the option.
/// </summary>
internal sealed record BenchOptions
{
    /// <summary>--rounds N: rounds of the interleaved throughput, latency and connect measurements, 0 = only the session scale (default 3, 0–50).</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>--duration SECONDS: length of each iperf3 run (default 10, 1–600).</summary>
    public int DurationSeconds { get; init; } = 10;

    /// <summary>--connects N: sequential sign-in + connect cycles per server and round, 0 skips them (default 20, 0–500).</summary>
    public int Connects { get; init; } = 20;

    /// <summary>--ping-count N: pings per latency figure, 0.05 s apart (default 50, 1–10000).</summary>
    public int PingCount { get; init; } = 50;

    /// <summary>--only LIST: which of opentunnel, ocserv and direct to measure (default all three).</summary>
    public IReadOnlyList<Target> Targets { get; init; } = [Target.OpenTunnel, Target.Ocserv, Target.Direct];

    /// <summary>--sessions LIST: session counts of the session-scale test, "none" skips it (default 1000,10000).</summary>
    public IReadOnlyList<int> Sessions { get; init; } = [1000, 10000];

    /// <summary>--ocserv-max-sessions N: ocserv runs a process per session, so its session scale stops here (default 1000, 1–20000).</summary>
    public int OcservMaxSessions { get; init; } = 1000;

    /// <summary>--idle-seconds SECONDS: how long the gateway's CPU is sampled with the sessions idle (default 30, 1–3600).</summary>
    public int IdleSeconds { get; init; } = 30;

    /// <summary>--concurrency N: the load generator's sign-ins in flight (default 64, 1–4096).</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>--port N: the gateways' TCP and UDP port inside the gateway namespace (default 443).</summary>
    public int Port { get; init; } = 443;

    /// <summary>--results-dir PATH: where the JSON goes (default bench/results under the current folder).</summary>
    public string ResultsDirectory { get; init; } = Path.Combine("bench", "results");

    /// <summary>--opentunnel-version TEXT: what the JSON calls the OpenTunnel build (bench/run passes git describe).</summary>
    public string OpenTunnelVersion { get; init; } = "unknown";

    /// <summary>--opentunnel-gateway PATH: the built gateway (bench/run passes it when the gateway exists on this branch).</summary>
    public string? OpenTunnelGateway { get; init; }

    public const string Usage = """
        usage: bench/run [options]
          --rounds N              interleaved rounds, 0 = session scale only (3)
          --duration SECONDS      each iperf3 run (10)
          --connects N            sign-in + connect cycles per server and round, 0 = skip (20)
          --ping-count N          pings per latency figure (50)
          --only LIST             opentunnel,ocserv,direct (all)
          --sessions LIST         session-scale counts, or none (1000,10000)
          --ocserv-max-sessions N cap of ocserv's session scale (1000)
          --idle-seconds SECONDS  CPU sample of the idle sessions (30)
          --concurrency N         load generator's sign-ins in flight (64)
          --port N                gateway port (443)
          --results-dir PATH      where the JSON goes (bench/results)
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.");
            }

            string value = args[++i];
            options = name switch
            {
                "--rounds" => options with { Rounds = Int(name, value, 0, 50) },
                "--duration" => options with { DurationSeconds = Int(name, value, 1, 600) },
                "--connects" => options with { Connects = Int(name, value, 0, 500) },
                "--ping-count" => options with { PingCount = Int(name, value, 1, 10_000) },
                "--only" => options with { Targets = ParseTargets(value) },
                "--sessions" => options with { Sessions = ParseSessions(value) },
                "--ocserv-max-sessions" => options with { OcservMaxSessions = Int(name, value, 1, 20_000) },
                "--idle-seconds" => options with { IdleSeconds = Int(name, value, 1, 3600) },
                "--concurrency" => options with { Concurrency = Int(name, value, 1, 4096) },
                "--port" => options with { Port = Int(name, value, 1, 65535) },
                "--results-dir" => options with { ResultsDirectory = value },
                "--opentunnel-version" => options with { OpenTunnelVersion = value },
                "--opentunnel-gateway" => options with { OpenTunnelGateway = value.Length == 0 ? null : value },
                _ => throw new ArgumentException($"Unknown option '{name}'."),
            };
        }

        return options;
    }

    /// <summary>The options as the JSON and the table header show them.</summary>
    public IReadOnlyDictionary<string, string> Describe() => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["rounds"] = Rounds.ToString(CultureInfo.InvariantCulture),
        ["duration_s"] = DurationSeconds.ToString(CultureInfo.InvariantCulture),
        ["connects"] = Connects.ToString(CultureInfo.InvariantCulture),
        ["ping_count"] = PingCount.ToString(CultureInfo.InvariantCulture),
        ["only"] = string.Join(',', Targets.Select(TargetName)),
        ["sessions"] = Sessions.Count == 0 ? "none" : string.Join(',', Sessions.Select(s => s.ToString(CultureInfo.InvariantCulture))),
        ["ocserv_max_sessions"] = OcservMaxSessions.ToString(CultureInfo.InvariantCulture),
        ["idle_s"] = IdleSeconds.ToString(CultureInfo.InvariantCulture),
        ["concurrency"] = Concurrency.ToString(CultureInfo.InvariantCulture),
    };

    public static string TargetName(Target target) => target switch
    {
        Target.OpenTunnel => "opentunnel",
        Target.Ocserv => "ocserv",
        _ => "direct",
    };

    private static int Int(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{name} must be a whole number from {min} to {max}, not '{value}'.");

    private static Target[] ParseTargets(string value)
    {
        var targets = new List<Target>();
        foreach (string part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var target = part switch
            {
                "opentunnel" => Target.OpenTunnel,
                "ocserv" => Target.Ocserv,
                "direct" => Target.Direct,
                _ => throw new ArgumentException($"--only takes opentunnel, ocserv and direct, not '{part}'."),
            };
            if (!targets.Contains(target))
            {
                targets.Add(target);
            }
        }

        return targets.Count > 0 ? [.. targets] : throw new ArgumentException("--only needs at least one of opentunnel, ocserv, direct.");
    }

    private static int[] ParseSessions(string value)
    {
        if (value == "none")
        {
            return [];
        }

        var counts = new SortedSet<int>();
        foreach (string part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            counts.Add(Int("--sessions", part, 1, 100_000));
        }

        return counts.Count > 0 ? [.. counts] : throw new ArgumentException("--sessions needs session counts (1000,10000) or 'none'.");
    }
}
