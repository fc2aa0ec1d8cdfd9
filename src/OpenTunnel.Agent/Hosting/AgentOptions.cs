using System.Net;
using OpenTunnel.Observability;
using OpenTunnel.Trust;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// The agent's settings: a JSON file (--config, optional) and environment variables
/// OPENTUNNEL_AGENT_Setting on top (for example OPENTUNNEL_AGENT_MANAGEMENTURL for a container's
/// first start). The enrolment token is no setting: it comes from a file, standard input or
/// OPENTUNNEL_ENROL_TOKEN (<see cref="Enrolment.EnrolmentTokenSource"/>). docs/agent.md is the
/// reference; every default is here beside its setting, and <see cref="Validate"/> names the
/// setting of every bad value.
/// </summary>
public sealed record AgentOptions
{
    public const string EnvironmentPrefix = "OPENTUNNEL_AGENT_";

    /// <summary>Where the agent keeps its key and certificate, the pinned CA, its state and the telemetry queue (mode 0700). Default /var/lib/opentunnel-agent.</summary>
    public string DataDirectory { get; init; } = "/var/lib/opentunnel-agent";

    /// <summary>The management service's URL for enrolment (https). Default none.</summary>
    public string? ManagementUrl { get; init; }

    /// <summary>
    /// A file whose first line is the site's one-time enrolment token, or "-" for standard input.
    /// Default none: the token is then read from OPENTUNNEL_ENROL_TOKEN.
    /// </summary>
    public string? TokenFile { get; init; }

    /// <summary>pin-sha256:BASE64 of the management service's agent CA (shown with every enrolment token): the only root its certificate may chain to. Default none.</summary>
    public string? CaPin { get; init; }

    /// <summary>A PEM file of the CA that issued the management service's TLS certificate. Default none.</summary>
    public string? CaFile { get; init; }

    /// <summary>Accept the management service's certificate at enrolment without a pin or CA, printing its pin. Default false.</summary>
    public bool TrustOnFirstUse { get; init; }

    /// <summary>The server's name in its site. Default this machine's host name.</summary>
    public string? ServerName { get; init; }

    /// <summary>The gateway's control socket. Default /var/lib/opentunnel-gateway/control.sock.</summary>
    public string GatewayControlSocket { get; init; } = "/var/lib/opentunnel-gateway/control.sock";

    /// <summary>The gateway's configuration file, which the agent rewrites with each configuration the gateway accepts. Default /etc/opentunnel/gateway.json.</summary>
    public string GatewayConfigurationFile { get; init; } = "/etc/opentunnel/gateway.json";

    /// <summary>The gateway's log file, whose end collect-logs uploads. Default none (agent logs only).</summary>
    public string? GatewayLogFile { get; init; }

    /// <summary>Seconds between telemetry samples; default 60, 1 to 3600.</summary>
    public int TelemetryIntervalSeconds { get; init; } = 60;

    /// <summary>Seconds between checks of the site's internal probe URL; default 300, 1 to 86400.</summary>
    public int ProbeIntervalSeconds { get; init; } = 300;

    /// <summary>Time limit of one probe (and of the latency connection); default 10 s, 1 to 120.</summary>
    public int ProbeTimeoutSeconds { get; init; } = 10;

    /// <summary>How long a poll waits at the management service for a change; default 30 s, 1 to 300.</summary>
    public int PollWaitSeconds { get; init; } = 30;

    /// <summary>First wait after the management service could not be reached; doubles up to 60 s. Default 2 s, 1 to 60.</summary>
    public int RetrySeconds { get; init; } = 2;

    /// <summary>Telemetry samples kept on disk while the management service is unreachable; the oldest go first. Default 10080 (7 days at 60 s), 10 to 1000000.</summary>
    public int QueueCapacity { get; init; } = 10080;

    /// <summary>Seconds between takings of the gateway's ended sessions for the access log; default 5, 1 to 3600.</summary>
    public int AccessLogIntervalSeconds { get; init; } = 5;

    /// <summary>Access records (ended sessions) kept on disk while the management service is unreachable; the oldest go first. Default 100000, 100 to 10000000.</summary>
    public int AccessLogQueueCapacity { get; init; } = 100_000;

    /// <summary>Seconds between snapshots of the gateway's sessions sent to the management service; default 30, 1 to 3600.</summary>
    public int SessionsIntervalSeconds { get; init; } = 30;

    /// <summary>The log lines on standard output: simple (default, one line per event with a UTC timestamp), json or systemd.</summary>
    public LogFormat LogFormat { get; init; } = LogFormat.Simple;

    /// <summary>Samples sent in one request; default 100, 1 to 500.</summary>
    public int TelemetryBatchSize { get; init; } = 100;

    /// <summary>The certificate is renewed when less than this share of its lifetime is left; default 33 %, 1 to 90.</summary>
    public int RenewWhenRemainingPercent { get; init; } = 33;

    /// <summary>
    /// address:port on loopback to serve /metrics (Prometheus) and /healthz/live and /healthz/ready
    /// on. Default 127.0.0.1:9465 (the gateway's is 9464); empty turns it off.
    /// </summary>
    public string? MetricsAddress { get; init; } = "127.0.0.1:9465";

    /// <summary>The end point of <see cref="MetricsAddress"/>; null when it is off or not a loopback address:port.</summary>
    public IPEndPoint? MetricsEndPoint =>
        IPEndPoint.TryParse(MetricsAddress ?? string.Empty, out IPEndPoint? endPoint) && IPAddress.IsLoopback(endPoint.Address) && endPoint.Port > 0 ? endPoint : null;

    /// <summary>Every problem with these settings, each naming its setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        RequireAbsolute(errors, nameof(DataDirectory), DataDirectory);
        RequireAbsolute(errors, nameof(GatewayControlSocket), GatewayControlSocket);
        RequireAbsolute(errors, nameof(GatewayConfigurationFile), GatewayConfigurationFile);
        if (GatewayLogFile is not null)
        {
            RequireAbsolute(errors, nameof(GatewayLogFile), GatewayLogFile);
        }

        if (ManagementUrl is not null && (!Uri.TryCreate(ManagementUrl, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"ManagementUrl '{ManagementUrl}' must be an absolute https URL.");
        }

        if (CaPin is not null && !CertificatePins.IsWellFormed(CaPin))
        {
            errors.Add($"CaPin '{CaPin}' must read pin-sha256:BASE64 (44 characters of base64, the SHA-256 of a public key).");
        }

        if (CaFile is not null)
        {
            RequireAbsolute(errors, nameof(CaFile), CaFile);
        }

        if (TokenFile is { Length: 0 })
        {
            errors.Add("TokenFile is empty: give a file holding the enrolment token, or - for standard input.");
        }

        RequireRange(errors, nameof(TelemetryIntervalSeconds), TelemetryIntervalSeconds, 1, 3600);
        RequireRange(errors, nameof(ProbeIntervalSeconds), ProbeIntervalSeconds, 1, 86_400);
        RequireRange(errors, nameof(ProbeTimeoutSeconds), ProbeTimeoutSeconds, 1, 120);
        RequireRange(errors, nameof(PollWaitSeconds), PollWaitSeconds, 1, 300);
        RequireRange(errors, nameof(RetrySeconds), RetrySeconds, 1, 60);
        RequireRange(errors, nameof(QueueCapacity), QueueCapacity, 10, 1_000_000);
        RequireRange(errors, nameof(AccessLogIntervalSeconds), AccessLogIntervalSeconds, 1, 3600);
        RequireRange(errors, nameof(AccessLogQueueCapacity), AccessLogQueueCapacity, 100, 10_000_000);
        RequireRange(errors, nameof(SessionsIntervalSeconds), SessionsIntervalSeconds, 1, 3600);
        RequireRange(errors, nameof(TelemetryBatchSize), TelemetryBatchSize, 1, 500);
        RequireRange(errors, nameof(RenewWhenRemainingPercent), RenewWhenRemainingPercent, 1, 90);
        if (!string.IsNullOrEmpty(MetricsAddress) && MetricsEndPoint is null)
        {
            errors.Add($"MetricsAddress must be a loopback address:port, for example 127.0.0.1:9465, or empty to turn it off (got '{MetricsAddress}').");
        }

        return errors;
    }

    private static void RequireAbsolute(List<string> errors, string setting, string path)
    {
        if (!Path.IsPathFullyQualified(path))
        {
            errors.Add($"{setting} must be an absolute path (got '{path}').");
        }
    }

    private static void RequireRange(List<string> errors, string setting, int value, int minimum, int maximum)
    {
        if (value < minimum || value > maximum)
        {
            errors.Add($"{setting} is {value}; it must be from {minimum} to {maximum}.");
        }
    }
}
