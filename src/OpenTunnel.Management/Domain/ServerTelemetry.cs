using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Management.Domain;

/// <summary>One telemetry sample of a server, stored once per sequence number.</summary>
public sealed class ServerTelemetry
{
    public long Id { get; set; }

    public Guid ServerId { get; set; }

    /// <summary>The sample's sequence number, as a column of its own for the unique (server, sequence) index.</summary>
    public long Sequence { get; set; }

    public DateTime ReceivedAt { get; set; }

    public TelemetrySample Sample { get; set; } = null!;
}
