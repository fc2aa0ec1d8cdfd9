using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Commands;
using OpenTunnel.Agent.Configuration;
using OpenTunnel.Agent.Enrolment;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.CommandLine;
using OpenTunnel.Observability;
using OpenTunnel.Trust;

namespace OpenTunnel.Agent.Cli;

/// <summary>The verbs of the <c>opentunnel-agent</c> executable, each with its own help and examples.</summary>
public static class AgentCommandLine
{
    private const string Description = """
        The OpenTunnel agent: keeps a gateway in step with the management service and reports its health.

        The one-time enrolment token is read from --token-file FILE (its first line), from standard input
        with --token-file -, or from the environment variable OPENTUNNEL_ENROL_TOKEN; never from the
        command line, where every user of the machine could read it.
        Settings can also be given in --config FILE or as environment variables OPENTUNNEL_AGENT_Setting,
        for example OPENTUNNEL_AGENT_MANAGEMENTURL, OPENTUNNEL_AGENT_CAPIN, OPENTUNNEL_AGENT_SERVERNAME (docs/agent.md).
        Exit codes (docs/cli.md): 0 done, 1 refused or not enrolled, 64 bad command line,
        69 management service unreachable, 77 the agent's certificate refused, 78 bad settings.
        """;

    /// <summary>Once took the token on the command line; refused (as a usage error) with the way to give it instead, never echoing the value.</summary>
    private static readonly Option<string> Token = RefusedTokenOption();

    private static readonly Option<string> Config = new("--config") { Description = "A JSON file of settings (docs/agent.md).", Recursive = true };
    private static readonly Option<string> DataDirectory = new("--data-dir") { Description = "Where the enrolment and state are kept (setting DataDirectory).", Recursive = true };

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            return await CommandLineRunner.InvokeAsync(Build(output), args, output, error, CancellationToken.None);
        }
        catch (AgentConfigurationException e)
        {
            return Fail(error, e.Message, ExitCodes.Configuration);
        }
        catch (ManagementLinkException e)
        {
            return Fail(error, e.Message, e.Failure switch
            {
                ManagementFailure.Unreachable => ExitCodes.Unavailable,
                ManagementFailure.Refused => ExitCodes.NoPermission,
                _ => ExitCodes.Failure,
            });
        }
        catch (InvalidOperationException e)
        {
            return Fail(error, e.Message, ExitCodes.Failure);
        }
    }

    private static RootCommand Build(TextWriter output)
    {
        var root = new RootCommand(Description);
        root.Options.Add(Config);
        root.Options.Add(DataDirectory);
        root.Options.Add(Token);

        var enrol = new Command("enrol", """
            Join the site the token is for: make a key, get its certificate, store both (root only).
            An enrolled agent refuses without reading the token.

            Examples:
              opentunnel-agent enrol --management https://mgmt.example:8444 --token-file token.txt --ca-pin pin-sha256:BASE64
              head -n1 token.txt | opentunnel-agent enrol --management https://mgmt.example:8444 --token-file - --ca-file ca.pem --name gw1
            """);
        enrol.Aliases.Add("enroll");
        var enrolSettings = EnrolmentOptions(enrol);
        enrol.SetAction((result, _) => EnrolAsync(output, Load(result, enrolSettings)));

        var run = new Command("run", """
            Keep the gateway in step with the management service and report health, until SIGTERM or SIGINT.
            Enrols first when the agent is not enrolled and a token is given (same options as 'enrol').

            Examples:
              opentunnel-agent run
              OPENTUNNEL_AGENT_MANAGEMENTURL=https://mgmt.example:8444 OPENTUNNEL_ENROL_TOKEN=... opentunnel-agent run --data-dir /var/lib/opentunnel-agent
            """);
        var runSettings = EnrolmentOptions(run);
        run.SetAction((result, _) => RunAgentAsync(output, Load(result, runSettings)));

        var status = new Command("status", """
            What the agent is enrolled as and what its gateway runs: server, site, certificate,
            management CA pin, applied configuration, queued telemetry.

            Examples:
              opentunnel-agent status
              opentunnel-agent status --data-dir /var/lib/opentunnel-agent --json
            """);
        var json = new Option<bool>("--json") { Description = "Print the status as JSON, for scripts." };
        status.Options.Add(json);
        status.SetAction(result => Status(output, Load(result, []), result.GetValue(json)));

        root.Subcommands.Add(enrol);
        root.Subcommands.Add(run);
        root.Subcommands.Add(status);
        return root;
    }

    private static Option<string> RefusedTokenOption()
    {
        var option = new Option<string>("--token") { Hidden = true, Recursive = true };
        option.Validators.Add(result => result.AddError(
            $"--token is not accepted: a token on the command line can be read by every user of this machine (/proc/PID/cmdline). Give it with --token-file FILE, --token-file - (standard input) or the environment variable {EnrolmentTokenSource.EnvironmentVariable}."));
        return option;
    }

    /// <summary>The options that set an enrolment setting, by the setting's name.</summary>
    private static Dictionary<string, Option> EnrolmentOptions(Command command)
    {
        var options = new Dictionary<string, Option>(StringComparer.Ordinal)
        {
            [nameof(AgentOptions.ManagementUrl)] = new Option<string>("--management") { Description = "The management service's agent endpoint (https://HOST:8444)." },
            [nameof(AgentOptions.TokenFile)] = new Option<string>("--token-file") { Description = "The file holding the one-time enrolment token (its first line), or - for standard input." },
            [nameof(AgentOptions.CaPin)] = new Option<string>("--ca-pin") { Description = "The management CA's pin-sha256:BASE64." },
            [nameof(AgentOptions.CaFile)] = new Option<string>("--ca-file") { Description = "The management CA's certificate (PEM)." },
            [nameof(AgentOptions.TrustOnFirstUse)] = new Option<bool>("--trust-on-first-use") { Description = "Trust the CA the service shows at enrolment (prints its pin)." },
            [nameof(AgentOptions.ServerName)] = new Option<string>("--name") { Description = "This server's name in the site." },
        };
        foreach (Option option in options.Values)
        {
            command.Options.Add(option);
        }

        return options;
    }

    /// <summary>The settings: --config, the environment, then the options given on the command line.</summary>
    private static AgentOptions Load(ParseResult result, Dictionary<string, Option> settings)
    {
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (result.GetValue(DataDirectory) is { } data)
        {
            overrides[nameof(AgentOptions.DataDirectory)] = data;
        }

        foreach ((string setting, Option option) in settings)
        {
            if (result.GetResult(option) is { Implicit: false } given)
            {
                overrides[setting] = option is Option<bool> ? "true" : given.Tokens.Single().Value;
            }
        }

        return AgentOptionsLoader.Load(result.GetValue(Config), overrides);
    }

    /// <summary>Reads the token only when there is something to enrol (an enrolled agent refuses without reading it).</summary>
    private static async Task<int> EnrolAsync(TextWriter output, AgentOptions options) =>
        await EnrolAsync(output, options, new AgentIdentityStore(options.DataDirectory).IsEnrolled ? null : ReadToken(options));

    private static async Task<int> EnrolAsync(TextWriter output, AgentOptions options, string? token)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using AgentIdentity identity = await new AgentEnroller(options, token, Console.Error).EnrolAsync(timeout.Token);
        AgentRegistration registration = identity.Registration;
        await output.WriteLineAsync($"Enrolled as {registration.ServerName} ({registration.ServerId}) in site {registration.SiteName}.");
        await output.WriteLineAsync($"Agent endpoint: {registration.AgentEndpoint}; management CA {CertificatePins.Of(identity.Authority)}.");
        await output.WriteLineAsync($"Certificate serial {identity.Certificate.SerialNumber}, valid until {identity.Certificate.NotAfter.ToUniversalTime():u}; stored in {options.DataDirectory} (mode 0600).");
        return ExitCodes.Success;
    }

    private static async Task<int> RunAgentAsync(TextWriter output, AgentOptions options)
    {
        if (!new AgentIdentityStore(options.DataDirectory).IsEnrolled)
        {
            string token = ReadToken(options)
                ?? throw new InvalidOperationException($"The agent is not enrolled ({options.DataDirectory} holds no enrolment): run 'opentunnel-agent enrol --management URL --token-file FILE', or set OPENTUNNEL_AGENT_MANAGEMENTURL and {EnrolmentTokenSource.EnvironmentVariable} (or OPENTUNNEL_AGENT_TOKENFILE).");
            await EnrolAsync(output, options, token);
        }

        var recent = new RecentLogLines(2000);
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });

        // Under systemd (Type=notify) READY=1 once the loops run and STOPPING=1 when the agent stops;
        // elsewhere nothing. Before the console logger, which keeps its format under systemd too.
        builder.Services.AddSystemd();
        builder.Logging.AddConsole(options.LogFormat);
        builder.Logging.AddProvider(recent);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Services.AddAgent(options, recent);
        using IHost host = builder.Build();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });
        await host.RunAsync();
        return ExitCodes.Success;
    }

    private static int Status(TextWriter output, AgentOptions options, bool json)
    {
        using AgentIdentity identity = new AgentIdentityStore(options.DataDirectory).Load();
        AgentRegistration registration = identity.Registration;
        AppliedConfiguration? applied = new AppliedConfigurationStore(options.DataDirectory).Load();
        int queued = Directory.Exists(Path.Combine(options.DataDirectory, "telemetry"))
            ? Directory.GetFiles(Path.Combine(options.DataDirectory, "telemetry"), "*.json").Length
            : 0;
        var status = new AgentStatus(
            registration.ServerName,
            registration.ServerId,
            registration.SiteName,
            registration.SiteId,
            registration.AgentEndpoint,
            identity.Certificate.SerialNumber,
            identity.Certificate.NotAfter.ToUniversalTime(),
            CertificatePins.Of(identity.Authority),
            applied?.ETag,
            applied?.AppliedAt,
            queued);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(status, new JsonSerializerOptions(AgentJson.Options) { WriteIndented = true }));
            return ExitCodes.Success;
        }

        TextTable.WritePairs(output,
        [
            ("server", $"{status.ServerName} ({status.ServerId})"),
            ("site", $"{status.SiteName} ({status.SiteId})"),
            ("agent endpoint", status.AgentEndpoint),
            ("certificate", $"serial {status.CertificateSerial}, valid until {status.CertificateNotAfter:u}"),
            ("management CA", status.ManagementCaPin),
            ("configuration", status.AppliedConfiguration is null ? "none applied yet" : $"{status.AppliedConfiguration}, applied {status.AppliedAt?.ToUniversalTime():u}"),
            ("queued telemetry", status.QueuedTelemetry.ToString(CultureInfo.InvariantCulture)),
        ]);
        return ExitCodes.Success;
    }

    /// <summary>The enrolment token from --token-file (a file or standard input) or OPENTUNNEL_ENROL_TOKEN; null when none is given.</summary>
    private static string? ReadToken(AgentOptions options) =>
        EnrolmentTokenSource.Read(options.TokenFile, Console.In, Environment.GetEnvironmentVariable, Console.Error);

    private static int Fail(TextWriter error, string message, int code)
    {
        error.WriteLine(message);
        return code;
    }

    /// <summary>What <c>status</c> shows, and its JSON.</summary>
    private sealed record AgentStatus(
        string ServerName,
        Guid ServerId,
        string SiteName,
        Guid SiteId,
        string AgentEndpoint,
        string CertificateSerial,
        DateTime CertificateNotAfter,
        string ManagementCaPin,
        string? AppliedConfiguration,
        DateTime? AppliedAt,
        int QueuedTelemetry);
}
