using System.Net;
using Microsoft.Extensions.Options;
using OpenTunnel.Trust;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// Settings of the agent link, section "Management:Agents" (environment:
/// Management__Agents__Listen). docs/agent.md is the reference.
/// </summary>
public sealed class AgentLinkOptions
{
    public const string Section = "Management:Agents";

    /// <summary>
    /// address:port of the mutual-TLS agent endpoint. Default 0.0.0.0:8444 (8443 is the standalone
    /// gateway's); port 0 takes a free port; empty turns the endpoint off (agents can then only enrol).
    /// </summary>
    public string? Listen { get; set; } = "0.0.0.0:8444";

    /// <summary>
    /// The base URL agents reach the agent endpoint at, returned at enrolment. Default: https://
    /// the host name the enrolment request was sent to, and the endpoint's port.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>DNS names and IP addresses the endpoint's certificate names besides this machine's name and loopback. Default none.</summary>
    public List<string> HostNames { get; set; } = [];

    /// <summary>How long an agent's client certificate is valid; agents renew at two thirds of it. Default 90, 1 to 825.</summary>
    public int CertificateLifetimeDays { get; set; } = 90;

    /// <summary>Longest time a poll is held open when nothing changes. Default 30, 1 to 300.</summary>
    public int LongPollSeconds { get; set; } = 30;

    /// <summary>How often the service looks for changed configurations and new commands while agents wait. Default 1000, 100 to 60000.</summary>
    public int ChangeCheckMilliseconds { get; set; } = 1000;

    /// <summary>Telemetry older than this is deleted. Default 30, 1 to 3650.</summary>
    public int TelemetryRetentionDays { get; set; } = 30;

    /// <summary>Most samples taken in one telemetry request. Default 500, 1 to 10000.</summary>
    public int MaximumTelemetryBatch { get; set; } = 500;

    /// <summary>
    /// Load-aware sign-in: the longest time a site's published peer list keeps figures (sessions,
    /// CPU) that changed without changing the ranking; a ranking or health change is published
    /// within 5 s. Default 30, 5 to 3600.
    /// </summary>
    public int PeerRefreshSeconds { get; set; } = 30;

    /// <summary>How often servers are checked for a missed check-in. Default 30, 1 to 3600.</summary>
    public int LivenessCheckSeconds { get; set; } = 30;

    /// <summary>The access-token settings every gateway applies; without an issuer gateways keep their own.</summary>
    public GatewayAuthOptions GatewayAuth { get; set; } = new();

    /// <summary>The parsed <see cref="Listen"/>, or null when the endpoint is off.</summary>
    public IPEndPoint? ListenEndPoint => string.IsNullOrWhiteSpace(Listen) ? null : IPEndPoint.Parse(Listen);
}

/// <summary>The access-token check pushed to gateways (see the gateway's Auth section).</summary>
public sealed class GatewayAuthOptions
{
    /// <summary>The issuer tokens must name. Default none: gateways keep their local Auth settings.</summary>
    public string? Issuer { get; set; }

    /// <summary>The audience tokens must carry. Required with an issuer.</summary>
    public string? Audience { get; set; }

    /// <summary>The discovery document; default the issuer's /.well-known/openid-configuration.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>Refuse metadata over plain http. Default true.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Claims every token must carry, for example a compliance claim. Default none.</summary>
    public List<RequiredClaimOptions> RequiredClaims { get; set; } = [];

    /// <summary>
    /// Each site's gateways take only tokens whose <c>site</c> claim is that site's id, as the
    /// embedded identity provider issues them. Default true; false only for a provider whose
    /// tokens carry no site claim (then every gateway takes every site's tokens).
    /// </summary>
    public bool RequireSite { get; set; } = true;

    /// <summary>Accepted token types (JOSE <c>typ</c>), for example <c>at+jwt</c>. Default none: the gateway's default (<c>at+jwt</c>, <c>JWT</c>).</summary>
    public List<string> ValidTypes { get; set; } = [];

    /// <summary>
    /// The pin (<c>pin-sha256:</c>) of the CA the issuer's HTTPS certificate chains to, pushed as
    /// the gateways' <c>Auth:CaPin</c>. Default none: the deployment CA's pin when the issuer is
    /// the embedded identity provider served with the deployment's certificate (<see cref="GatewayIssuerTrust"/>),
    /// else nothing (the gateways' own trust).
    /// </summary>
    public string? CaPin { get; set; }
}

/// <summary>One required claim: its name and the accepted values (none: any non-empty value).</summary>
public sealed class RequiredClaimOptions
{
    public string Claim { get; set; } = string.Empty;

    public List<string> AnyOf { get; set; } = [];
}

/// <summary>Refuses bad settings at start-up, naming the setting.</summary>
internal sealed class AgentLinkOptionsValidator : IValidateOptions<AgentLinkOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentLinkOptions options)
    {
        var failures = new List<string>();
        const string prefix = AgentLinkOptions.Section + ":";
        if (!string.IsNullOrWhiteSpace(options.Listen) && !IPEndPoint.TryParse(options.Listen, out _))
        {
            failures.Add($"{prefix}Listen '{options.Listen}' is not address:port (for example 0.0.0.0:8444).");
        }

        if (options.PublicUrl is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"{prefix}PublicUrl '{url}' is not an absolute https URL.");
        }

        AddRange(failures, prefix + "CertificateLifetimeDays", options.CertificateLifetimeDays, 1, 825);
        AddRange(failures, prefix + "LongPollSeconds", options.LongPollSeconds, 1, 300);
        AddRange(failures, prefix + "ChangeCheckMilliseconds", options.ChangeCheckMilliseconds, 100, 60_000);
        AddRange(failures, prefix + "TelemetryRetentionDays", options.TelemetryRetentionDays, 1, 3650);
        AddRange(failures, prefix + "MaximumTelemetryBatch", options.MaximumTelemetryBatch, 1, 10_000);
        AddRange(failures, prefix + "LivenessCheckSeconds", options.LivenessCheckSeconds, 1, 3600);
        AddRange(failures, prefix + "PeerRefreshSeconds", options.PeerRefreshSeconds, 5, 3600);

        GatewayAuthOptions auth = options.GatewayAuth;
        if (auth.Issuer is { } issuer)
        {
            if (!Uri.TryCreate(issuer, UriKind.Absolute, out _))
            {
                failures.Add($"{prefix}GatewayAuth:Issuer '{issuer}' is not an absolute URL.");
            }

            if (string.IsNullOrWhiteSpace(auth.Audience))
            {
                failures.Add($"{prefix}GatewayAuth:Audience is required with GatewayAuth:Issuer: the audience gateway tokens carry.");
            }
        }

        if (auth.CaPin is { } pin && !CertificatePins.IsWellFormed(pin))
        {
            failures.Add($"{prefix}GatewayAuth:CaPin '{pin}' must read pin-sha256:BASE64 (44 characters of base64, the SHA-256 of a CA's public key).");
        }

        for (int i = 0; i < auth.RequiredClaims.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(auth.RequiredClaims[i].Claim))
            {
                failures.Add($"{prefix}GatewayAuth:RequiredClaims:{i}:Claim is empty.");
            }
        }

        for (int i = 0; i < auth.ValidTypes.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(auth.ValidTypes[i]))
            {
                failures.Add($"{prefix}GatewayAuth:ValidTypes:{i} is empty.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AddRange(List<string> failures, string setting, int value, int minimum, int maximum)
    {
        if (value < minimum || value > maximum)
        {
            failures.Add($"{setting} is {value}; it must be between {minimum} and {maximum}.");
        }
    }
}
