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
using OpenTunnel.Trust;

namespace OpenTunnel.Agent.Cli;

/// <summary>The verbs of the <c>opentunnel-agent</c> executable.</summary>
public static class AgentCommandLine
{
    public const string Usage = """
        Usage: opentunnel-agent <verb> [options]

          enrol --management URL --token-file FILE|- [--ca-pin PIN | --ca-file FILE | --trust-on-first-use] [--name NAME]
                        join the site the token is for: make a key, get its certificate, store both (root only)
          run           keep the gateway in step with the management service and report health
                        (the default verb; enrols first when a token is given and the agent is not enrolled)
          status        what the agent is enrolled as and what its gateway runs

        The one-time enrolment token is read from --token-file FILE (its first line), from standard input
        with --token-file -, or from the environment variable OPENTUNNEL_ENROL_TOKEN; never from the
        command line, where every user of the machine could read it.

        Every verb takes --config FILE (JSON settings) and --data-dir DIR. Settings can also be given as
        environment variables OPENTUNNEL_AGENT_Setting, for example OPENTUNNEL_AGENT_MANAGEMENTURL,
        OPENTUNNEL_AGENT_CAPIN, OPENTUNNEL_AGENT_SERVERNAME (docs/agent.md).
        """;

    /// <summary>Options that once took a secret on the command line; refused with the way to give it instead.</summary>
    private static readonly HashSet<string> SecretOptions = new(StringComparer.Ordinal) { "--token" };

    private static readonly Dictionary<string, string> OptionSettings = new(StringComparer.Ordinal)
    {
        ["--management"] = nameof(AgentOptions.ManagementUrl),
        ["--token-file"] = nameof(AgentOptions.TokenFile),
        ["--ca-pin"] = nameof(AgentOptions.CaPin),
        ["--ca-file"] = nameof(AgentOptions.CaFile),
        ["--name"] = nameof(AgentOptions.ServerName),
        ["--data-dir"] = nameof(AgentOptions.DataDirectory),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string verb = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
        try
        {
            (string? file, Dictionary<string, string?> overrides) = Parse(args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args);
            return verb switch
            {
                "enrol" or "enroll" => await EnrolAsync(AgentOptionsLoader.Load(file, overrides)),
                "run" => await RunAgentAsync(AgentOptionsLoader.Load(file, overrides)),
                "status" => Status(AgentOptionsLoader.Load(file, overrides)),
                "help" or "--help" or "-h" => Print(Usage, 0),
                _ => Fail($"Unknown verb '{verb}'.\n\n{Usage}", 64),
            };
        }
        catch (AgentConfigurationException e)
        {
            return Fail(e.Message, 2);
        }
        catch (ManagementLinkException e)
        {
            return Fail(e.Message, 3);
        }
        catch (InvalidOperationException e)
        {
            return Fail(e.Message, 1);
        }
    }

    /// <summary>Reads the token only when there is something to enrol (an enrolled agent refuses without reading it).</summary>
    private static async Task<int> EnrolAsync(AgentOptions options) =>
        await EnrolAsync(options, new AgentIdentityStore(options.DataDirectory).IsEnrolled ? null : ReadToken(options));

    private static async Task<int> EnrolAsync(AgentOptions options, string? token)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using AgentIdentity identity = await new AgentEnroller(options, token, Console.Error).EnrolAsync(timeout.Token);
        AgentRegistration registration = identity.Registration;
        Console.WriteLine($"Enrolled as {registration.ServerName} ({registration.ServerId}) in site {registration.SiteName}.");
        Console.WriteLine($"Agent endpoint: {registration.AgentEndpoint}; management CA {CertificatePins.Of(identity.Authority)}.");
        Console.WriteLine($"Certificate serial {identity.Certificate.SerialNumber}, valid until {identity.Certificate.NotAfter.ToUniversalTime():u}; stored in {options.DataDirectory} (mode 0600).");
        return 0;
    }

    private static async Task<int> RunAgentAsync(AgentOptions options)
    {
        if (!new AgentIdentityStore(options.DataDirectory).IsEnrolled)
        {
            string token = ReadToken(options)
                ?? throw new InvalidOperationException($"The agent is not enrolled ({options.DataDirectory} holds no enrolment): run 'opentunnel-agent enrol --management URL --token-file FILE', or set OPENTUNNEL_AGENT_MANAGEMENTURL and {EnrolmentTokenSource.EnvironmentVariable} (or OPENTUNNEL_AGENT_TOKENFILE).");
            await EnrolAsync(options, token);
        }

        var recent = new RecentLogLines(2000);
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });

        // Under systemd (Type=notify) READY=1 once the loops run and STOPPING=1 when the agent stops;
        // elsewhere nothing. Before the console logger, which keeps its format under systemd too.
        builder.Services.AddSystemd();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
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
        return 0;
    }

    private static int Status(AgentOptions options)
    {
        using AgentIdentity identity = new AgentIdentityStore(options.DataDirectory).Load();
        AgentRegistration registration = identity.Registration;
        AppliedConfiguration? applied = new AppliedConfigurationStore(options.DataDirectory).Load();
        int queued = Directory.Exists(Path.Combine(options.DataDirectory, "telemetry"))
            ? Directory.GetFiles(Path.Combine(options.DataDirectory, "telemetry"), "*.json").Length
            : 0;
        Console.WriteLine(JsonSerializer.Serialize(
            new
            {
                registration.ServerName,
                registration.ServerId,
                registration.SiteName,
                registration.SiteId,
                registration.AgentEndpoint,
                CertificateSerial = identity.Certificate.SerialNumber,
                CertificateNotAfter = identity.Certificate.NotAfter.ToUniversalTime(),
                ManagementCaPin = CertificatePins.Of(identity.Authority),
                AppliedConfiguration = applied?.ETag,
                AppliedAt = applied?.AppliedAt,
                QueuedTelemetry = queued,
            },
            new JsonSerializerOptions(AgentJson.Options) { WriteIndented = true }));
        return 0;
    }

    /// <summary>The enrolment token from --token-file (a file or standard input) or OPENTUNNEL_ENROL_TOKEN; null when none is given.</summary>
    private static string? ReadToken(AgentOptions options) =>
        EnrolmentTokenSource.Read(options.TokenFile, Console.In, Environment.GetEnvironmentVariable, Console.Error);

    /// <summary>--config FILE, --trust-on-first-use, and the options that set a setting.</summary>
    private static (string? File, Dictionary<string, string?> Overrides) Parse(string[] args)
    {
        string? file = null;
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < args.Length; i++)
        {
            string option = args[i];
            if (SecretOptions.Contains(option) || option.StartsWith("--token=", StringComparison.Ordinal))
            {
                throw new AgentConfigurationException([
                    $"{option.Split('=')[0]} is not accepted: a token on the command line can be read by every user of this machine (/proc/PID/cmdline). Give it with --token-file FILE, --token-file - (standard input) or the environment variable {EnrolmentTokenSource.EnvironmentVariable}."]);
            }

            if (option == "--trust-on-first-use")
            {
                overrides[nameof(AgentOptions.TrustOnFirstUse)] = "true";
                continue;
            }

            if (i + 1 >= args.Length || (option != "--config" && !OptionSettings.ContainsKey(option)))
            {
                throw new AgentConfigurationException([$"'{option}' is not an option here, or it lacks its value.\n\n{Usage}"]);
            }

            string value = args[++i];
            if (option == "--config")
            {
                file = value;
            }
            else
            {
                overrides[OptionSettings[option]] = value;
            }
        }

        return (file, overrides);
    }

    private static int Print(string text, int code)
    {
        Console.WriteLine(text);
        return code;
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine(message);
        return code;
    }
}
