namespace OpenTunnel.Management.Domain;

/// <summary>
/// A client certificate the internal CA issued to a server's agent, at enrolment or renewal.
/// An agent signs in with it only while its row exists (a deleted server takes its rows with it)
/// and is not revoked.
/// </summary>
public sealed class AgentCertificate
{
    public Guid Id { get; set; }

    public Guid ServerId { get; set; }

    /// <summary>SHA-256 of the DER certificate, upper-case hex: what a request's certificate is looked up by.</summary>
    public string Thumbprint { get; set; } = string.Empty;

    public string SerialNumber { get; set; } = string.Empty;

    public DateTime NotBefore { get; set; }

    public DateTime NotAfter { get; set; }

    public DateTime IssuedAt { get; set; }

    public DateTime? RevokedAt { get; set; }

    public string? RevocationReason { get; set; }
}
