namespace OpenTunnel.Agent.Protocol;

/// <summary>
/// One health and telemetry sample. <see cref="Sequence"/> grows by one per sample from 1 for
/// the life of an enrolment; the management service stores each sequence number once, so a
/// batch sent again after a lost answer is harmless. Values the agent could not read are null.
/// </summary>
/// <param name="Sequence">1 for the first sample of an enrolment, one more for each next one.</param>
/// <param name="At">When the sample was taken (UTC), not when it was delivered.</param>
/// <param name="CpuPercent">CPU use averaged over the last 5 minutes, 0 to 100.</param>
/// <param name="MemoryPercent">Memory in use (total minus available), 0 to 100.</param>
/// <param name="MemoryTotalBytes">Installed memory.</param>
/// <param name="DiskFreeBytes">Free space of the file system that holds the agent's data directory.</param>
/// <param name="Cores">Logical CPUs.</param>
/// <param name="ActiveSessions">Sessions the gateway holds (connected or waiting for a reconnect).</param>
/// <param name="BytesPerSecondIn">Tunnel traffic from clients since the previous sample.</param>
/// <param name="BytesPerSecondOut">Tunnel traffic to clients since the previous sample.</param>
/// <param name="LatencyMilliseconds">Time to open a TCP connection to the site's internal probe URL.</param>
/// <param name="TlsCertificateNotAfter">Expiry of the gateway's TLS server certificate.</param>
/// <param name="AgentCertificateNotAfter">Expiry of the agent's own client certificate.</param>
/// <param name="SoftwareVersion">The agent's version.</param>
/// <param name="AppliedConfigurationETag">The configuration version the gateway runs.</param>
/// <param name="InternalUrlReachable">Result of the last HTTP check of the probe URL (every 5 minutes by default).</param>
/// <param name="InternalUrlCheckedAt">When that check ran.</param>
/// <param name="InternalUrlError">Why the probe URL did not answer.</param>
/// <param name="Draining">Whether the gateway takes no new sessions.</param>
/// <param name="GatewayError">Why the gateway's control API did not answer; null when it did.</param>
public sealed record TelemetrySample(
    long Sequence,
    DateTime At,
    double? CpuPercent,
    double? MemoryPercent,
    long? MemoryTotalBytes,
    long? DiskFreeBytes,
    int? Cores,
    int? ActiveSessions,
    double? BytesPerSecondIn,
    double? BytesPerSecondOut,
    double? LatencyMilliseconds,
    DateTime? TlsCertificateNotAfter,
    DateTime? AgentCertificateNotAfter,
    string? SoftwareVersion,
    string? AppliedConfigurationETag,
    bool? InternalUrlReachable,
    DateTime? InternalUrlCheckedAt,
    string? InternalUrlError,
    bool Draining,
    string? GatewayError);

/// <summary>Body of POST /agent/v1/telemetry: samples oldest first.</summary>
public sealed record TelemetryBatch(IReadOnlyList<TelemetrySample> Samples);

/// <summary>
/// The answer to a batch: <see cref="HighestSequence"/> is the highest sequence number the
/// service holds for this server; the agent forgets every queued sample up to it.
/// </summary>
public sealed record TelemetryAcknowledgement(long HighestSequence, int Stored, int Duplicates);
