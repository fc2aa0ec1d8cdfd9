using System.CommandLine;
using OpenTunnel.Client.Oidc;
using OpenTunnel.CommandLine;
using OpenTunnel.Client.State;
using OpenTunnel.Trust;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// The verbs of the <c>opentunnel</c> executable, each with its own help and examples, and the exit
/// code of each outcome (the shared table, docs/cli.md; <c>connect</c> passes openconnect's own through).
/// </summary>
public static class ClientCommandLine
{
    private const string Description = """
        The OpenTunnel client: sign in, enrol this device, report its posture, get gateway tokens and
        VPN profiles, and connect with openconnect or the native engine.

        State: $OPENTUNNEL_CLIENT_HOME, else /var/lib/opentunnel-client for root, else ~/.config/opentunnel.
        Exit codes (docs/cli.md): 0 done, 1 the service answered something unexpected, 64 bad command line,
        69 service unreachable (or its HTTPS certificate not trusted), 71 a file cannot be read or written,
        77 refused by the provider, 78 a step is missing (sign in or enrol first), 130 interrupted;
        connect and run: their program's own, 127 when it is not installed.
        """;

    /// <summary>The program <c>connect</c> or <c>run</c> starts is not installed (the shell's code for a command not found); the client's own code, beside the shared table.</summary>
    public const int ProgramMissing = 127;

    public static Task<int> RunAsync(IReadOnlyList<string> args, ClientEnvironment environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        return CommandLineRunner.InvokeAsync(Build(environment, args), args, environment.Out, environment.Error, cancellationToken);
    }

    private static RootCommand Build(ClientEnvironment environment, IReadOnlyList<string> args)
    {
        // Words after "--" go to the program connect or run starts; System.CommandLine drops the "--" itself.
        int dashes = args.ToList().IndexOf("--");
        int trailing = dashes < 0 ? 0 : args.Count - dashes - 1;
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var site = new Option<string>("--site") { Description = "The site's name (the token is for its gateways)." };
        var root = new RootCommand(Description);
        root.Subcommands.Add(Verb(environment, "signin", """
            Sign in with the device flow: open the URL shown and enter the code. Before enrolment the
            sign-in is for enrolling this device, after it for gateway tokens. --unenrolled asks for
            gateway tokens without a device: granted only where conditional access allows unenrolled
            devices, and gateways give them only their access for unmanaged devices. --ca-pin or
            --ca-file trusts the deployment's CA (kept for the later verbs), else the system's trust store.

            Examples:
              opentunnel signin --server https://mgmt.example:9443 --ca-pin pin-sha256:BASE64
              opentunnel signin --server https://mgmt.example:9443 --site paris
              opentunnel signin --server https://mgmt.example:9443 --site paris --unenrolled
            """,
            SignInVerb.RunAsync,
            [
                new Option<string>("--server") { Description = "The management service's URL (it hosts the identity provider).", Required = true },
                site,
                new Option<string>("--ca-pin") { Description = "The deployment CA's pin-sha256:BASE64." },
                new Option<string>("--ca-file") { Description = "The deployment CA's certificate (PEM)." },
                new Option<bool>("--unenrolled") { Description = "Sign in without a device, for gateway tokens marked unmanaged." },
            ]));
        Command enrol = Verb(environment, "enrol", """
            Make this device's key, collect its posture and enrol it (after signin).

            Examples:
              opentunnel enrol
              opentunnel enrol --name laptop-42
            """,
            EnrolVerb.RunAsync,
            [new Option<string>("--name") { Description = "The device's name (default: the host name)." }]);
        enrol.Aliases.Add("enroll");
        root.Subcommands.Add(enrol);
        root.Subcommands.Add(Verb(environment, "posture", """
            Report the posture again, once or every SECONDS (1 to 86400) until stopped.

            Examples:
              opentunnel posture
              opentunnel posture --every 300
            """,
            PostureVerb.RunAsync,
            [new Option<string>("--every") { Description = "Report every SECONDS (1 to 86400) until SIGINT or SIGTERM." }]));
        root.Subcommands.Add(Verb(environment, "token", """
            Get a gateway token: printed, or written to FILE with mode 0600.

            Examples:
              opentunnel token --site paris
              opentunnel token --site paris --out /run/user/1000/gateway-token
            """,
            TokenVerb.RunAsync,
            [site, new Option<string>("--out") { Description = "Write the token to this file (mode 0600) instead of printing it." }]));
        root.Subcommands.Add(Verb(environment, "connect", """
            Connect to --gateway, or to a VPN profile's site (see 'opentunnel profiles'): get a token (or
            use --token-file) and run the tunnel in this process (the native engine: TLS and DTLS, TUN
            device, routes, DNS; a per-app profile's tunnel in its namespace; docs/client.md) until
            SIGINT/SIGTERM. --engine openconnect runs openconnect with the token instead: its exit
            code is passed through and words after -- go to it. With a PROFILE the profiles are
            fetched again every --refresh-every seconds while connected.

            Examples:
              opentunnel connect --gateway https://vpn.example --site paris
              opentunnel connect --gateway https://ocserv.example --user alice --password-file /dev/stdin
              opentunnel connect office
              opentunnel connect office --engine openconnect -- --interface tun7
              opentunnel connect --gateway https://vpn.example:4443 --servercert pin-sha256:BASE64 --engine openconnect -- --interface tun7
            """,
            ConnectVerb.RunAsync,
            [
                new Option<string>("--gateway") { Description = "The gateway's URL, https://HOST[:PORT] (without a PROFILE)." },
                site,
                new Option<string>("--servercert") { Description = "The gateway certificate's pin-sha256:BASE64 (openconnect --servercert)." },
                new Option<string>("--script") { Description = "The vpnc-script for openconnect (--engine openconnect)." },
                new Option<string>("--token-file") { Description = "A gateway token to use instead of getting one." },
                new Option<string>("--refresh-every") { Description = "With a PROFILE: fetch the profiles again every SECONDS (1 to 3600, default 60)." },
                new Option<string>("--engine") { Description = "native (the default: the tunnel in this process) or openconnect." },
                new Option<string>("--user") { Description = "The native engine: sign in with this user name and the password of --password-file instead of a token (gateways with password sign-in, such as ocserv)." },
                new Option<string>("--password-file") { Description = "The native engine, with --user: the file whose first line is the password (/dev/stdin reads it from standard input)." },
            ],
            new Argument<string[]>("PROFILE") { Description = "The profile's name; words after -- go to openconnect.", Arity = ArgumentArity.ZeroOrMore },
            trailing,
            positional: true));
        root.Subcommands.Add(Verb(environment, "profiles", """
            Fetch and list the VPN profiles assigned to you (the stored ones when the service cannot be reached).

            Examples:
              opentunnel profiles
              opentunnel profiles --json
            """,
            ProfilesVerb.RunAsync,
            [json]));
        root.Subcommands.Add(Verb(environment, "status", """
            The sign-in, the device, the running connection with its profile's proxy, and the stored profiles.

            Examples:
              opentunnel status
              opentunnel status --json
            """,
            (arguments, env, _) => StatusVerb.RunAsync(arguments, env),
            [json]));
        root.Subcommands.Add(Verb(environment, "run", """
            Run COMMAND with the profile's proxy in its environment (http_proxy, https_proxy, no_proxy,
            or auto_proxy for a PAC URL); its exit code is passed through. For a per-app profile
            COMMAND must be one of its apps, and it runs in the profile's namespace: the tunnel of
            'opentunnel connect PROFILE' and its DNS are its only network (needs root).

            Examples:
              opentunnel run --profile office -- curl https://intranet.example/
            """,
            (arguments, env, _) => RunVerb.RunAsync(arguments, env),
            [new Option<string>("--profile") { Description = "The profile whose proxy the command gets.", Required = true }],
            new Argument<string[]>("COMMAND") { Description = "The command and its arguments, after --.", Arity = ArgumentArity.ZeroOrMore },
            trailing));
        root.Subcommands.Add(Verb(environment, "lockdown", """
            Whether the kill switch of an always-on profile with lockdown is on (status), or turn it off
            (off). connect PROFILE turns it on, and off when you stop it; after a failure or a kill it
            stays on until 'opentunnel lockdown off'. Needs root and nft.

            Examples:
              opentunnel lockdown status
              opentunnel lockdown off
            """,
            (arguments, env, _) => LockdownVerb.RunAsync(arguments, env),
            [],
            new Argument<string[]>("ACTION") { Description = "status or off.", Arity = ArgumentArity.ZeroOrMore },
            trailing,
            positional: true));
        root.Subcommands.Add(Verb(environment, "always-on", """
            Keep an always-on profile connected. enable stores the profile, the engine (native, the
            default, or --engine openconnect) and its options (--servercert; for openconnect --script
            and words after --); run keeps its tunnel up, reconnecting after any end but a stop (the
            native engine without a time limit; a new sign-in after a pause that doubles up to a
            minute), lockdown on throughout (the mode
            opentunnel-client.service runs); disable deletes the setting and stops a running 'run';
            status says what is enabled and running.

            Examples:
              opentunnel always-on enable --profile office
              opentunnel always-on run
              opentunnel always-on status
              opentunnel always-on disable
            """,
            AlwaysOnVerb.RunAsync,
            [
                new Option<string>("--profile") { Description = "enable: the always-on profile to keep connected." },
                new Option<string>("--servercert") { Description = "enable: the gateway certificate's pin-sha256:BASE64 (as openconnect --servercert)." },
                new Option<string>("--script") { Description = "enable: the vpnc-script for openconnect (--engine openconnect)." },
                new Option<string>("--engine") { Description = "enable: native (the default) or openconnect." },
            ],
            new Argument<string[]>("ACTION") { Description = "enable, disable, status or run; with enable, words after -- go to openconnect.", Arity = ArgumentArity.ZeroOrMore },
            trailing,
            positional: true));
        root.Subcommands.Add(Verb(environment, "on-demand", """
            Connect a profile when a name of its on-demand rules is asked. enable stores the profile
            (--servercert, --listen); run puts a DNS stub in /etc/resolv.conf that brings the native
            engine's tunnel up for names of connect rules, takes it down for disconnect rules and after
            the profile's idle time, and connects nothing on a trusted network; disable deletes the
            setting and stops a running 'run'; status says what is enabled and running.

            Examples:
              opentunnel on-demand enable --profile office --servercert pin-sha256:...
              opentunnel on-demand run
              opentunnel on-demand status
              opentunnel on-demand disable
            """,
            OnDemandVerb.RunAsync,
            [
                new Option<string>("--profile") { Description = "enable, run: the profile whose on-demand rules to act on." },
                new Option<string>("--servercert") { Description = "enable, run: the gateway certificate's pin-sha256:BASE64." },
                new Option<string>("--listen") { Description = "enable, run: the DNS stub's loopback address (default 127.0.0.153)." },
            ],
            new Argument<string[]>("ACTION") { Description = "enable, disable, status or run.", Arity = ArgumentArity.ZeroOrMore },
            trailing,
            positional: true));
        Command script = Verb(environment, AppTunnelScriptVerb.Name, """
            The vpnc-script 'connect' gives openconnect for a per-app profile: it moves the tunnel's
            device into the profile's namespace and configures it there. Not for direct use.
            """,
            (arguments, env, _) => AppTunnelScriptVerb.RunAsync(arguments, env),
            [new Option<string>("--namespace") { Description = "The profile's network namespace.", Required = true }]);
        script.Hidden = true;
        root.Subcommands.Add(script);
        return root;
    }

    /// <summary>A verb whose action hands its options (by name without the dashes) to <paramref name="run"/> and turns what it throws into an exit code.</summary>
    private static Command Verb(
        ClientEnvironment environment,
        string name,
        string description,
        Func<ClientArguments, ClientEnvironment, CancellationToken, Task<int>> run,
        Option[] options,
        Argument<string[]>? extra = null,
        int trailing = 0,
        bool positional = false)
    {
        var command = new Command(name, description);
        foreach (Option option in options)
        {
            command.Options.Add(option);
        }

        if (extra is not null)
        {
            command.Arguments.Add(extra);
        }

        command.SetAction((result, cancellationToken) =>
        {
            var given = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Option option in options)
            {
                if (option is Option<string> valued && result.GetValue(valued) is { } value)
                {
                    given[option.Name[2..]] = value;
                }
                else if (option is Option<bool> flag && result.GetValue(flag))
                {
                    given[option.Name[2..]] = "true";
                }
            }

            string[] words = extra is null ? [] : result.GetValue(extra) ?? [];
            int before = Math.Max(0, words.Length - trailing);
            if (before > (positional ? 1 : 0))
            {
                return Task.FromResult(Print(environment.Error, $"error: '{words[positional ? 1 : 0]}' is not an option of '{name}' (options start with --; words for the program go after --).\nRun 'opentunnel {name} --help' for its usage.", ExitCodes.Usage));
            }

            var arguments = new ClientArguments(name, given, words[before..], before == 1 ? words[0] : null);
            return RunVerbAsync(run, arguments, environment, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunVerbAsync(
        Func<ClientArguments, ClientEnvironment, CancellationToken, Task<int>> run, ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken)
    {
        DeploymentTrust? trust = null;
        HttpClient? trusted = null;
        try
        {
            trust = ServerTrust.For(arguments, environment.State);
            if (trust is not null)
            {
                trusted = new HttpClient(trust.CreateHandler()) { Timeout = ClientEnvironment.HttpTimeout };
                environment = environment with { Http = trusted };
            }

            return await run(arguments, environment, cancellationToken);
        }
        catch (UsageException e)
        {
            return Print(environment.Error, $"error: {e.Message}\nRun 'opentunnel {arguments.Verb} --help' for its usage.", ExitCodes.Usage);
        }
        catch (ClientStateException e)
        {
            return Print(environment.Error, e.Message, ExitCodes.Configuration);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The state directory or an output file cannot be written (another user's directory, a read-only file system, a directory in the way).
            return Print(environment.Error, $"Cannot read or write a file: {e.Message}", ExitCodes.OsError);
        }
        catch (ProviderException e)
        {
            string refusedCertificate = trust?.LastProblem is { } problem ? $"\nThe server's HTTPS certificate is not trusted: {problem}." : string.Empty;
            return Print(environment.Error, e.Message + refusedCertificate, e.Refused ? ExitCodes.NoPermission : e.Unreachable ? ExitCodes.Unavailable : ExitCodes.Failure);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Print(environment.Error, "Interrupted.", ExitCodes.Interrupted);
        }
        finally
        {
            trusted?.Dispose();
        }
    }

    private static int Print(TextWriter writer, string text, int code)
    {
        writer.WriteLine(text);
        return code;
    }
}
