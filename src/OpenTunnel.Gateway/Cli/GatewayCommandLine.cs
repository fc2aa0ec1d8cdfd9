using System.CommandLine;
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
/// configuration and data directory. Every verb has its own help with examples.
/// </summary>
public static class GatewayCommandLine
{
    private const string Description = """
        The OpenTunnel gateway: 'run' starts it; the control verbs talk to a running one over its
        control socket (like occtl); check, pin and token work on a configuration file.

        Control verbs find the socket with --control PATH, or from --config FILE
        (Control:SocketPath, default DATA_DIRECTORY/control.sock), or /var/lib/opentunnel-gateway/control.sock.
        Environment variables OPENTUNNEL_GATEWAY_Section__Setting override the configuration file.
        Exit codes (docs/cli.md): 0 done, 1 refused by the gateway, 64 bad command line, 65 bad input file,
        69 control socket unreachable, 71 TUN device, 78 bad configuration.
        """;

    /// <summary>Runs the command line; problems become the exit codes of the shared table, with a message on <paramref name="error"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            return await CommandLineRunner.InvokeAsync(Build(output, error), args, output, error, CancellationToken.None);
        }
        catch (InputFileException e)
        {
            return Fail(error, e.Message, ExitCodes.DataError);
        }
        catch (GatewayConfigurationException e)
        {
            return Fail(error, e.Message, ExitCodes.Configuration);
        }
        catch (TunDeviceException e)
        {
            return Fail(error, "TUN device: " + e.Message, ExitCodes.OsError);
        }
        catch (ControlUnavailableException e)
        {
            return Fail(error, e.Message, ExitCodes.Unavailable);
        }
        catch (InvalidOperationException e)
        {
            return Fail(error, e.Message, ExitCodes.Failure);
        }
    }

    private static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand(Description);
        root.Subcommands.Add(Run());
        root.Subcommands.Add(Check(output));
        root.Subcommands.Add(Pin(output));
        root.Subcommands.Add(Token(output, error));
        root.Subcommands.Add(Control(output, "status", null, """
            What the running gateway does: listener, session counts, pool use, certificate,
            configuration origin, draining, packet counters and drops by reason.

            Examples:
              opentunnel-gateway status
              opentunnel-gateway status --control /run/opentunnel-gateway.sock --json
            """));
        root.Subcommands.Add(Control(output, "sessions", null, """
            The sessions: id, user, device, leased address, client address, bytes in and out,
            channel (TLS or DTLS) and since when.

            Examples:
              opentunnel-gateway sessions
              opentunnel-gateway sessions --config /etc/opentunnel/gateway.json --json
            """));
        root.Subcommands.Add(Control(output, "disconnect", new Argument<string>("TARGET") { Description = "A session id or a user name." }, """
            Close a session's TLS link; its cookie stays valid, so the client reconnects and gets
            the same address (occtl disconnect).

            Examples:
              opentunnel-gateway disconnect 12
              opentunnel-gateway disconnect alice
            """));
        root.Subcommands.Add(Control(output, "terminate", new Argument<string>("TARGET") { Description = "A session id or a user name." }, """
            End a session: the client gets DISCONNECT, the cookie is revoked and the address
            returns to the pool (occtl terminate).

            Examples:
              opentunnel-gateway terminate 12
              opentunnel-gateway terminate alice --json
            """));
        root.Subcommands.Add(Control(output, "revoke", new Argument<string>("TARGET") { Description = "A user name, a token subject or a device id." }, """
            Terminate every session of a user (by name or token subject) or device, and for 24 hours
            refuse its tokens issued before now.

            Examples:
              opentunnel-gateway revoke alice
              opentunnel-gateway revoke pc-42 --json
            """));
        root.Subcommands.Add(Control(output, "reload", new Argument<string>("FILE") { Description = "The configuration file to read (default: the one the gateway started with).", Arity = ArgumentArity.ZeroOrOne }, """
            Read the configuration again and swap it in; a file with errors is refused and the
            running configuration stays.

            Examples:
              opentunnel-gateway reload
              opentunnel-gateway reload /etc/opentunnel/gateway.json --json
            """));
        root.Subcommands.Add(Control(output, "apply", new Argument<string>("FILE") { Description = "A whole configuration document, a JSON object (as the agent pushes it)." }, """
            Send a whole configuration document to be validated and swapped in, as 'reload' does for
            the file. A file that is not a JSON object exits 65 before anything is sent.

            Examples:
              opentunnel-gateway apply pushed.json
              opentunnel-gateway apply pushed.json --control /run/opentunnel-gateway.sock --json
            """));
        root.Subcommands.Add(Control(output, "drain", null, """
            Take no new sessions (sign-in answers 503); the sessions there keep running.
            --off takes new sessions again. A restart forgets it.

            Examples:
              opentunnel-gateway drain
              opentunnel-gateway drain --off
            """));
        root.Subcommands.Add(Control(output, "bans", null, """
            The ban table: each client address (an IPv6 client is its /64) with a ban or a ban
            score, its score, when it last earned points and until when it is banned.

            Examples:
              opentunnel-gateway bans
              opentunnel-gateway bans --json
            """));
        root.Subcommands.Add(Control(output, "unban", new Argument<string>("ADDRESS") { Description = "A client address, or the PREFIX::/64 that 'bans' shows." }, """
            Clear the ban and the score of a client address (occtl unban ip).

            Examples:
              opentunnel-gateway unban 198.18.0.7
              opentunnel-gateway unban 2001:db8:1:2::/64
            """));
        return root;
    }

    private static Option<string> ConfigOption(bool required) => new("--config")
    {
        Description = required ? "The gateway's configuration file (JSON)." : "The configuration file whose Control:SocketPath is the socket.",
        Required = required,
    };

    private static Command Run()
    {
        var command = new Command("run", """
            Start the gateway; SIGTERM or SIGINT stop it (the TUN device and the nftables table are removed).

            Examples:
              opentunnel-gateway run --config /etc/opentunnel/gateway.json
              opentunnel-gateway run --config gateway.json --verbose
            """);
        var config = ConfigOption(required: true);
        var verbose = new Option<bool>("--verbose") { Description = "Log at Debug level." };
        command.Options.Add(config);
        command.Options.Add(verbose);
        command.SetAction(async (result, _) =>
        {
            string file = result.GetValue(config)!;
            var options = GatewayConfigurationLoader.LoadFile(file);
            await GatewayHost.RunAsync(options, Path.GetFullPath(file), result.GetValue(verbose));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Check(TextWriter output)
    {
        var command = new Command("check", """
            Validate a configuration file: exit 78 with every problem, by setting name.

            Example:
              opentunnel-gateway check --config /etc/opentunnel/gateway.json
            """);
        var config = ConfigOption(required: true);
        command.Options.Add(config);
        command.SetAction(result =>
        {
            GatewayConfigurationLoader.LoadFile(result.GetValue(config)!);
            output.WriteLine("Configuration is valid.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Pin(TextWriter output)
    {
        var command = new Command("pin", """
            Print the certificate's pin-sha256 (makes the self-signed certificate if none exists yet).

            Example:
              opentunnel-gateway pin --config /etc/opentunnel/gateway.json
            """);
        var config = ConfigOption(required: true);
        command.Options.Add(config);
        command.SetAction(result =>
        {
            var options = GatewayConfigurationLoader.LoadFile(result.GetValue(config)!);
            // Only reads: a self-signed certificate due for renewal keeps its key, so the pin is the same after.
            var certificate = ServerCertificate.Load(options.Tls, options.DataDirectory, DateTimeOffset.UtcNow, renewSelfSigned: false);
            output.WriteLine("pin-sha256:" + certificate.Pin);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Token(TextWriter output, TextWriter error)
    {
        var command = new Command("token", """
            Mint a test access token with the development key in the data directory
            (its JWKS is DATA_DIRECTORY/token-signing-jwks.json).

            Examples:
              opentunnel-gateway token --config gateway.json --user alice
              opentunnel-gateway token --config gateway.json --user alice --device pc-42 --groups staff,ops --lifetime 3600
            """);
        var config = ConfigOption(required: true);
        var user = new Option<string>("--user") { Description = "The user name (the token's preferred_username).", Required = true };
        var device = new Option<string>("--device") { Description = "A device id for the token." };
        var groups = new Option<string>("--groups") { Description = "Groups, separated by commas." };
        var lifetime = OptionValue.ParsedValue("--lifetime", "How long the token is valid, in seconds.", text =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds > 0
                ? seconds
                : throw new ArgumentException($"--lifetime '{text}' is not a number of seconds (a whole number above 0)."));
        command.Options.Add(config);
        command.Options.Add(user);
        command.Options.Add(device);
        command.Options.Add(groups);
        command.Options.Add(lifetime);
        command.SetAction(result =>
        {
            var options = GatewayConfigurationLoader.LoadFile(result.GetValue(config)!);
            using var issuer = DevelopmentTokenIssuer.CreateOrLoad(options.DataDirectory, options.Auth.Issuer, options.Auth.Audience);
            if (options.Auth.JwksFile is { } jwks && Path.GetFullPath(jwks) != Path.GetFullPath(issuer.JwksPath))
            {
                error.WriteLine($"Note: Auth:JwksFile is {jwks}, but the development key's JWKS is {issuer.JwksPath}; the gateway will not accept this token unless Auth:JwksFile points there.");
            }

            output.WriteLine(issuer.Mint(
                result.GetValue(user)!,
                result.GetValue(device),
                result.GetValue(groups)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                result.GetValue(lifetime) is { } seconds ? TimeSpan.FromSeconds(seconds) : null));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A verb sent over the control socket; <paramref name="argument"/> is its one word (a target or a file), if any.</summary>
    private static Command Control(TextWriter output, string verb, Argument<string>? argument, string description)
    {
        var command = new Command(verb, description);
        var control = new Option<string>("--control") { Description = "The gateway's control socket." };
        var config = ConfigOption(required: false);
        var json = new Option<bool>("--json") { Description = "Print the gateway's answer as JSON, for scripts." };
        var off = new Option<bool>("--off") { Description = "Take new sessions again." };
        if (argument is not null)
        {
            command.Arguments.Add(argument);
        }

        if (verb == "drain")
        {
            command.Options.Add(off);
        }

        command.Options.Add(control);
        command.Options.Add(config);
        command.Options.Add(json);
        command.SetAction(async (result, cancellationToken) =>
        {
            string? word = argument is null ? null : result.GetValue(argument);
            JsonObject request = verb switch
            {
                "apply" => ControlRequest.ApplyConfiguration(ReadDocument(word!)),
                "drain" => ControlRequest.DrainSessions(!result.GetValue(off)),
                "reload" when word is not null => new JsonObject { ["command"] = verb, ["file"] = Path.GetFullPath(word) },
                _ when word is not null => new JsonObject { ["command"] = verb, ["target"] = word },
                _ => new JsonObject { ["command"] = verb },
            };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            var answer = await ControlClient.SendAsync(SocketPath(result.GetValue(control), result.GetValue(config)), request, timeout.Token);
            if (result.GetValue(json))
            {
                await output.WriteLineAsync(answer?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null");
                return ExitCodes.Success;
            }

            switch (verb)
            {
                case "sessions":
                    WriteSessions(output, answer as JsonArray ?? []);
                    break;
                case "bans":
                    WriteBans(output, answer as JsonArray ?? []);
                    break;
                default:
                    await output.WriteAsync(FormatObject(answer as JsonObject ?? [], string.Empty));
                    break;
            }

            return ExitCodes.Success;
        });
        return command;
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

    private static string SocketPath(string? control, string? configFile) =>
        control
        ?? (configFile is null ? new GatewayOptions() : GatewayConfigurationLoader.LoadFile(configFile)).EffectiveControlSocketPath;

    private static void WriteSessions(TextWriter output, JsonArray sessions) => TextTable.Write(
        output,
        ["ID", "USER", "DEVICE", "ADDRESS", "CLIENT", "BYTES IN", "BYTES OUT", "CHANNEL", "CONNECTED SINCE"],
        sessions.OfType<JsonObject>().Select(s => (IReadOnlyList<string>)
        [
            Text(s["id"]), Text(s["user"]), Text(s["deviceId"]), Text(s["address"]), Text(s["client"]),
            Text(s["bytesIn"]), Text(s["bytesOut"]), Text(s["channel"]), s["connectedSince"]?.ToString() ?? "(away)",
        ]),
        "BYTES IN", "BYTES OUT");

    private static void WriteBans(TextWriter output, JsonArray bans) => TextTable.Write(
        output,
        ["CLIENT", "SCORE", "LAST POINTS", "BANNED UNTIL"],
        bans.OfType<JsonObject>().Select(b => (IReadOnlyList<string>)[Text(b["client"]), Text(b["score"]), Moment(b["lastPointAt"]), Moment(b["bannedUntil"])]),
        "SCORE");

    private static string Text(JsonNode? node) => node?.ToString() ?? "-";

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

    private static int Fail(TextWriter error, string message, int code)
    {
        error.WriteLine(message);
        return code;
    }

    /// <summary>An input file cannot be read or is not what the verb needs (exit 65).</summary>
    private sealed class InputFileException(string message) : Exception(message);
}
