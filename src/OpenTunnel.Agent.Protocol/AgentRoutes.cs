namespace OpenTunnel.Agent.Protocol;

/// <summary>
/// The paths of the agent link. Enrolment is the one call without a client certificate (the
/// one-time token is the credential); everything under <see cref="Prefix"/> needs the agent's
/// certificate, issued at enrolment by the management service's internal CA.
/// </summary>
public static class AgentRoutes
{
    public const string Enrolment = "/api/v1/enrolment";

    public const string Prefix = "/agent/v1";

    /// <summary>
    /// GET, without a client certificate: the internal CA certificate (PEM). TLS servers do not
    /// send their root, so an agent enrolling with the CA's pin fetches it here first and checks
    /// it against the pin before it trusts the endpoint's certificate.
    /// </summary>
    public const string Authority = Prefix + "/ca";

    /// <summary>POST a <see cref="CertificateRenewalRequest"/>; answers a <see cref="CertificateRenewalResponse"/>.</summary>
    public const string Certificate = Prefix + "/certificate";

    /// <summary>GET with <c>etag</c>, <c>draining</c> and <c>wait</c> (seconds); answers an <see cref="AgentPoll"/>, or 204 when nothing changed while it waited.</summary>
    public const string Poll = Prefix + "/poll";

    /// <summary>POST a <see cref="ConfigurationReport"/>.</summary>
    public const string ConfigurationReport = Prefix + "/configuration-report";

    /// <summary>POST a <see cref="TelemetryBatch"/>; answers a <see cref="TelemetryAcknowledgement"/>.</summary>
    public const string Telemetry = Prefix + "/telemetry";

    /// <summary>POST an <see cref="AccessRecordBatch"/>; answers an <see cref="AccessRecordAcknowledgement"/>.</summary>
    public const string AccessLog = Prefix + "/access-log";

    /// <summary>POST a <see cref="SessionSnapshot"/>: the sessions the gateway holds now; answers 204.</summary>
    public const string Sessions = Prefix + "/sessions";

    /// <summary>POST a <see cref="CommandResult"/> for the command <paramref name="id"/>.</summary>
    public static string CommandResult(Guid id) => $"{Prefix}/commands/{id}/result";
}
