using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenTunnel.CommandLine;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Contracts.Control;
using OpenTunnel.Gateway.Hosting;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Platform.Linux.Tun;

namespace OpenTunnel.Gateway.Cli;

/// <summary>
/// The verbs of the <c>opentunnel-gateway</c> executable: <c>run</c> starts the gateway; the
/// others talk to a running one over its control socket (like occtl) or work on the
/// configuration and data directory.
/// </summary>
public static class GatewayCommandLine
{
    public const string Usage = """
        Usage: opentunnel-gateway <verb> [options]

          run --config FILE [--verbose]      start the gateway (the default verb)
          check --config FILE                validate a configuration file and exit
          pin --config FILE                  print the certificate's pin-sha256 (makes the self-signed one if needed)
          token --config FILE --user NAME [--device ID] [--groups A,B] [--lifetime SECONDS]
                                             mint a test access token with the development key in the data directory
          status | sessions [--json]         what the running gateway does
          disconnect <id|user> [--json]      close a session's link; its cookie stays valid (the client reconnects)
          terminate <id|user> [--json]       end a session and revoke its cookie
          revoke <user|device> [--json]      terminate, and refuse the tokens issued until now
          reload [FILE] [--json]             re-read the configuration (default: the file the gateway started with)
          apply FILE [--json]                validate a whole configuration document and swap it in (as the agent pushes it)
          drain [--off] [--json]             take no new sessions (the ones there keep running); --off takes them again
          bans [--json]                      banned client addresses and ban scores (address, score, ban expiry)
          unban ADDRESS [--json]             clear the ban and score of a client address (an IPv6 client is its /64)

        Control verbs find the socket with --control PATH, or from --config FILE
        (Control:SocketPath, default DATA_DIRECTORY/control.sock), or /var/lib/opentunnel-gateway/control.sock.
        Environment variables OPENTUNNEL_GATEWAY_Section__Setting override the configuration file.
        Exit codes (docs/cli.md): 0 done, 1 refused by the gateway, 64 bad command line, 65 bad input file,
        69 control socket unreachable, 71 TUN device, 78 bad configuration.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = Arguments.Parse(args);
        if (arguments.Has("--help") || arguments.Has("-h"))
        {
            return Help();
        }

        try
        {
            return arguments.Verb switch
            {
                "run" => await RunGatewayAsync(arguments),
                "check" => Check(arguments),
                "pin" => Pin(arguments),
                "token" => Token(arguments),
                "status" or "sessions" or "disconnect" or "terminate" or "revoke" or "reload" or "bans" or "unban" or "apply" or "drain" => await ControlAsync(arguments),
                "help" or "--help" or "-h" => Help(),
                _ => Fail($"Unknown verb '{arguments.Verb}'.\n\n{Usage}", ExitCodes.Usage),
            };
        }
        catch (UsageException e)
        {
            return Fail($"{e.Message}\n\n{Usage}", ExitCodes.Usage);
        }
        catch (InputFileException e)
        {
            return Fail(e.Message, ExitCodes.DataError);
        }
        catch (GatewayConfigurationException e)
        {
            return Fail(e.Message, ExitCodes.Configuration);
        }
        catch (TunDeviceException e)
        {
            return Fail("TUN device: " + e.Message, ExitCodes.OsError);
        }
        catch (ControlUnavailableException e)
        {
            return Fail(e.Message, ExitCodes.Unavailable);
        }
        catch (InvalidOperationException e)
        {
            return Fail(e.Message, ExitCodes.Failure);
        }
    }

    private static async Task<int> RunGatewayAsync(Arguments arguments)
    {
        string file = arguments.Require("--config");
        var options = GatewayConfigurationLoader.LoadFile(file);
        await GatewayHost.RunAsync(options, Path.GetFullPath(file), arguments.Has("--verbose"));
        return 0;
    }

    private static int Check(Arguments arguments)
    {
        GatewayConfigurationLoader.LoadFile(arguments.Require("--config"));
        Console.WriteLine("Configuration is valid.");
        return 0;
    }

    private static int Pin(Arguments arguments)
    {
        var options = GatewayConfigurationLoader.LoadFile(arguments.Require("--config"));
        var certificate = ServerCertificate.Load(options.Tls, options.DataDirectory);
        Console.WriteLine("pin-sha256:" + certificate.Pin);
        return 0;
    }

    private static int Token(Arguments arguments)
    {
        string user = arguments.Require("--user");
        TimeSpan? lifetime = arguments.Option("--lifetime") is { } seconds ? TimeSpan.FromSeconds(Seconds("--lifetime", seconds)) : null;
        var options = GatewayConfigurationLoader.LoadFile(arguments.Require("--config"));
        using var issuer = DevelopmentTokenIssuer.CreateOrLoad(options.DataDirectory, options.Auth.Issuer, options.Auth.Audience);
        if (options.Auth.JwksFile is { } jwks && Path.GetFullPath(jwks) != Path.GetFullPath(issuer.JwksPath))
        {
            Console.Error.WriteLine($"Note: Auth:JwksFile is {jwks}, but the development key's JWKS is {issuer.JwksPath}; the gateway will not accept this token unless Auth:JwksFile points there.");
        }

        string? groups = arguments.Option("--groups");
        Console.WriteLine(issuer.Mint(
            user,
            arguments.Option("--device"),
            groups?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            lifetime));
        return 0;
    }

    private static int Seconds(string option, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds > 0
            ? seconds
            : throw new UsageException($"{option} '{text}' is not a number of seconds (a whole number above 0).");

    private static async Task<int> ControlAsync(Arguments arguments)
    {
        var request = new JsonObject { ["command"] = arguments.Verb };
        if (arguments.Verb is "disconnect" or "terminate" or "revoke")
        {
            request["target"] = arguments.Positional.Count > 0 ? arguments.Positional[0] : throw new UsageException($"{arguments.Verb} needs a session id, a user name or a device id.");
        }
        else if (arguments.Verb == "unban")
        {
            request["target"] = arguments.Positional.Count > 0 ? arguments.Positional[0] : throw new UsageException("unban needs a client address, as 'bans' lists it.");
        }
        else if (arguments.Verb == "apply")
        {
            request = ControlRequest.ApplyConfiguration(ReadDocument(arguments.Positional.Count > 0 ? arguments.Positional[0] : throw new UsageException("apply needs a configuration file.")));
        }
        else if (arguments.Verb == "drain")
        {
            request = ControlRequest.DrainSessions(!arguments.Has("--off"));
        }
        else if (arguments.Verb == "reload" && arguments.Positional.Count > 0)
        {
            request["file"] = Path.GetFullPath(arguments.Positional[0]);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var result = await ControlClient.SendAsync(SocketPath(arguments), request, timeout.Token);
        if (arguments.Has("--json"))
        {
            Console.WriteLine(result?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null");
            return 0;
        }

        Console.Write(arguments.Verb switch
        {
            "sessions" => FormatSessions(result as JsonArray ?? []),
            "bans" => FormatBans(result as JsonArray ?? []),
            "status" => FormatObject(result as JsonObject ?? [], string.Empty),
            _ => FormatObject(result as JsonObject ?? [], string.Empty),
        });
        return 0;
    }

    /// <summary>A configuration document to apply: the gateway validates its settings; here only that it is a JSON object.</summary>
    private static JsonObject ReadDocument(string file)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new InputFileException($"{file} does not hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InputFileException($"{file} is not JSON: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputFileException($"Cannot read {file}: {e.Message}");
        }
    }

    private static string SocketPath(Arguments arguments)
    {
        if (arguments.Option("--control") is { } control)
        {
            return control;
        }

        if (arguments.Option("--config") is { } file)
        {
            return GatewayConfigurationLoader.LoadFile(file).EffectiveControlSocketPath;
        }

        return new GatewayOptions().EffectiveControlSocketPath;
    }

    private static string FormatSessions(JsonArray sessions)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"ID",-5} {"USER",-16} {"DEVICE",-14} {"ADDRESS",-16} {"CLIENT",-22} {"BYTES IN",12} {"BYTES OUT",12} {"CHANNEL",-7} CONNECTED SINCE");
        foreach (var node in sessions)
        {
            if (node is not JsonObject s)
            {
                continue;
            }

            text.AppendLine(CultureInfo.InvariantCulture,
                $"{s["id"],-5} {s["user"],-16} {s["deviceId"]?.ToString() ?? "-",-14} {s["address"]?.ToString() ?? "-",-16} {s["client"],-22} {s["bytesIn"],12} {s["bytesOut"],12} {s["channel"],-7} {s["connectedSince"]?.ToString() ?? "(away)"}");
        }

        return text.ToString();
    }

    private static string FormatBans(JsonArray bans)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"CLIENT",-28} {"SCORE",6} {"LAST POINTS",-21} BANNED UNTIL");
        foreach (var node in bans)
        {
            if (node is not JsonObject b)
            {
                continue;
            }

            text.AppendLine(CultureInfo.InvariantCulture,
                $"{b["client"],-28} {b["score"],6} {Moment(b["lastPointAt"]),-21} {(b["bannedUntil"] is null ? "-" : Moment(b["bannedUntil"]))}");
        }

        return text.ToString();
    }

    private static string Moment(JsonNode? node) =>
        node?.GetValue<DateTimeOffset>().ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";

    private static string FormatObject(JsonObject value, string indent)
    {
        var text = new StringBuilder();
        foreach (var (key, node) in value)
        {
            if (node is JsonObject inner)
            {
                text.Append(indent).Append(key).AppendLine(":");
                text.Append(FormatObject(inner, indent + "  "));
            }
            else
            {
                text.Append(indent).Append(key).Append(": ").AppendLine(node?.ToString() ?? "-");
            }
        }

        return text.ToString();
    }

    private static int Help()
    {
        Console.WriteLine(Usage);
        return 0;
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine(message);
        return code;
    }

    /// <summary>A verb, positional arguments and --options (an option takes the next argument unless it is a flag).</summary>
    private sealed class Arguments
    {
        private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--json", "--verbose", "--off", "--help", "-h" };
        private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

        public string Verb { get; private set; } = "run";

        public List<string> Positional { get; } = [];

        public static Arguments Parse(string[] args)
        {
            var parsed = new Arguments();
            int i = 0;
            if (args.Length > 0 && !args[0].StartsWith('-'))
            {
                parsed.Verb = args[0];
                i = 1;
            }
            else if (args.Length > 0 && args[0] is "--help" or "-h")
            {
                parsed.Verb = "help";
                i = 1;
            }

            for (; i < args.Length; i++)
            {
                if (args[i] == "-h")
                {
                    parsed._options[args[i]] = null;
                }
                else if (!args[i].StartsWith("--", StringComparison.Ordinal))
                {
                    parsed.Positional.Add(args[i]);
                }
                else if (Flags.Contains(args[i]) || i + 1 == args.Length)
                {
                    parsed._options[args[i]] = null;
                }
                else
                {
                    parsed._options[args[i]] = args[++i];
                }
            }

            return parsed;
        }

        public bool Has(string name) => _options.ContainsKey(name);

        public string? Option(string name) => _options.GetValueOrDefault(name);

        public string Require(string name) =>
            Option(name) ?? throw new UsageException($"'{Verb}' needs {name}.");
    }

    /// <summary>The command line is wrong (exit 64); the message says how.</summary>
    private sealed class UsageException(string message) : Exception(message);

    /// <summary>An input file cannot be read or is not what the verb needs (exit 65).</summary>
    private sealed class InputFileException(string message) : Exception(message);
}
