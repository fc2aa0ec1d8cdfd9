using System.CommandLine;
using System.Globalization;
using OpenTunnel.Bench.Report;
using OpenTunnel.CommandLine;

namespace OpenTunnel.Bench;

/// <summary>
/// Settings of a benchmark run, each with its default, and the command line that sets them
/// (System.CommandLine): a bad value is refused with a message that names the option.
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

    /// <summary>--only LIST: which of opentunnel, opentunnel-native, ocserv and direct to measure (default all four).</summary>
    public IReadOnlyList<Target> Targets { get; init; } = [Target.OpenTunnel, Target.OpenTunnelNative, Target.Ocserv, Target.Direct];

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

    /// <summary>--opentunnel-client PATH: the built client, its executable or opentunnel.dll (bench/run passes it when the client exists on this branch).</summary>
    public string? OpenTunnelClient { get; init; }

    private const string Description = """
        The OpenTunnel benchmark (bench/README.md): OpenTunnel, ocserv and the direct path in network
        namespaces, measured in interleaved rounds with the same openconnect client, and OpenTunnel's
        own client (opentunnel-native) against the same OpenTunnel gateway. bench/run builds
        everything and starts it as root.

        Examples:
          bench/run
          bench/run --rounds 1 --duration 2 --connects 0 --sessions none
          bench/run --only opentunnel,ocserv --sessions 1000 --results-dir /tmp/bench
          bench/run --only opentunnel,opentunnel-native --rounds 1 --duration 2 --sessions none
        Exit codes (docs/cli.md): 0 done, 1 a prerequisite is missing, 64 bad command line, 130 interrupted.
        """;

    private static readonly Option<int?> RoundsOption = IntOption("--rounds", "Interleaved rounds, 0 = the session scale only (default 3).", 0, 50);
    private static readonly Option<int?> DurationOption = IntOption("--duration", "Seconds of each iperf3 run (default 10).", 1, 600);
    private static readonly Option<int?> ConnectsOption = IntOption("--connects", "Sign-in + connect cycles per server and round, 0 = skip (default 20).", 0, 500);
    private static readonly Option<int?> PingCountOption = IntOption("--ping-count", "Pings per latency figure (default 50).", 1, 10_000);
    private static readonly Option<Target[]?> OnlyOption = OptionValue.Parsed("--only", "Which of opentunnel,opentunnel-native,ocserv,direct to measure (default all).", ParseTargets);
    private static readonly Option<int[]?> SessionsOption = OptionValue.Parsed("--sessions", "Session-scale counts, or none (default 1000,10000).", ParseSessions);
    private static readonly Option<int?> OcservMaxSessionsOption = IntOption("--ocserv-max-sessions", "Cap of ocserv's session scale (default 1000).", 1, 20_000);
    private static readonly Option<int?> IdleSecondsOption = IntOption("--idle-seconds", "Seconds of the CPU sample of the idle sessions (default 30).", 1, 3600);
    private static readonly Option<int?> ConcurrencyOption = IntOption("--concurrency", "The load generator's sign-ins in flight (default 64).", 1, 4096);
    private static readonly Option<int?> PortOption = IntOption("--port", "The gateways' port (default 443).", 1, 65535);
    private static readonly Option<string> ResultsDirectoryOption = new("--results-dir") { Description = "Where the JSON goes (default bench/results)." };
    private static readonly Option<string> OpenTunnelVersionOption = new("--opentunnel-version") { Description = "What the JSON calls the OpenTunnel build (bench/run passes git describe)." };
    private static readonly Option<string> OpenTunnelGatewayOption = new("--opentunnel-gateway") { Description = "The built gateway (bench/run passes it)." };
    private static readonly Option<string> OpenTunnelClientOption = new("--opentunnel-client") { Description = "The built client: its executable, or opentunnel.dll to run with dotnet (bench/run passes the executable)." };

    /// <summary>The command line: <paramref name="run"/> gets the options once they parse; a bad value exits 64 naming the option.</summary>
    public static RootCommand Command(Func<BenchOptions, CancellationToken, Task<int>> run)
    {
        var root = new RootCommand(Description);
        foreach (Option option in new Option[]
        {
            RoundsOption, DurationOption, ConnectsOption, PingCountOption, OnlyOption, SessionsOption, OcservMaxSessionsOption,
            IdleSecondsOption, ConcurrencyOption, PortOption, ResultsDirectoryOption, OpenTunnelVersionOption, OpenTunnelGatewayOption,
            OpenTunnelClientOption,
        })
        {
            root.Options.Add(option);
        }

        root.SetAction((result, cancellationToken) => run(From(result), cancellationToken));
        return root;
    }

    /// <summary>Parses without running; a bad command line throws <see cref="ArgumentException"/> naming the option.</summary>
    public static BenchOptions Parse(IReadOnlyList<string> args) =>
        From(OptionValue.ThrowOnError(Command((_, _) => Task.FromResult(0)).Parse(args)));

    private static BenchOptions From(ParseResult result)
    {
        var defaults = new BenchOptions();
        return new BenchOptions
        {
            Rounds = result.GetValue(RoundsOption) ?? defaults.Rounds,
            DurationSeconds = result.GetValue(DurationOption) ?? defaults.DurationSeconds,
            Connects = result.GetValue(ConnectsOption) ?? defaults.Connects,
            PingCount = result.GetValue(PingCountOption) ?? defaults.PingCount,
            Targets = result.GetResult(OnlyOption) is null ? defaults.Targets : result.GetValue(OnlyOption)!,
            Sessions = result.GetResult(SessionsOption) is null ? defaults.Sessions : result.GetValue(SessionsOption)!,
            OcservMaxSessions = result.GetValue(OcservMaxSessionsOption) ?? defaults.OcservMaxSessions,
            IdleSeconds = result.GetValue(IdleSecondsOption) ?? defaults.IdleSeconds,
            Concurrency = result.GetValue(ConcurrencyOption) ?? defaults.Concurrency,
            Port = result.GetValue(PortOption) ?? defaults.Port,
            ResultsDirectory = result.GetValue(ResultsDirectoryOption) ?? defaults.ResultsDirectory,
            OpenTunnelVersion = result.GetValue(OpenTunnelVersionOption) ?? defaults.OpenTunnelVersion,
            OpenTunnelGateway = result.GetValue(OpenTunnelGatewayOption) is { Length: > 0 } gateway ? gateway : null,
            OpenTunnelClient = result.GetValue(OpenTunnelClientOption) is { Length: > 0 } client ? client : null,
        };
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
        Target.OpenTunnelNative => "opentunnel-native",
        Target.Ocserv => "ocserv",
        _ => "direct",
    };

    private static Option<int?> IntOption(string name, string description, int min, int max) =>
        OptionValue.ParsedValue(name, description, value => Int(name, value, min, max));

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
                "opentunnel-native" => Target.OpenTunnelNative,
                "ocserv" => Target.Ocserv,
                "direct" => Target.Direct,
                _ => throw new ArgumentException($"--only takes opentunnel, opentunnel-native, ocserv and direct, not '{part}'."),
            };
            if (!targets.Contains(target))
            {
                targets.Add(target);
            }
        }

        return targets.Count > 0 ? [.. targets] : throw new ArgumentException("--only needs at least one of opentunnel, opentunnel-native, ocserv, direct.");
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
