namespace OpenTunnel.Gateway.Traffic;

/// <summary>Why a packet was dropped; each reason has its own counter (metric label <c>reason</c>).</summary>
public enum DropReason
{
    /// <summary>A client sent a packet whose source is not its leased address.</summary>
    SpoofedSource,

    /// <summary>A client sent a packet to another client's address and client-to-client traffic is off.</summary>
    ClientToClient,

    /// <summary>Not a well-formed IP packet: too short, or its length fields disagree with its size.</summary>
    Malformed,

    /// <summary>An IPv6 packet from a client that holds no IPv6 address (its router solicitations, for one).</summary>
    NoIPv6Address,

    /// <summary>A packet from the TUN device for an address no connected session holds.</summary>
    NoSession,

    /// <summary>The client's send queue was full (a slow client).</summary>
    QueueFull,

    /// <summary>The kernel refused the packet on the TUN device.</summary>
    TunWriteFailed,

    /// <summary>
    /// A packet towards the clients that the kernel dropped because the TUN device's queue
    /// (Network:TunQueueLength) was full: the gateway read the device more slowly than packets
    /// arrived. The kernel counts these (the device's transmit drops), not the gateway.
    /// </summary>
    TunQueueFull,

    /// <summary>A CSTP frame of a type this gateway does not take (for example COMPRESSED, never negotiated).</summary>
    UnexpectedFrame,
}
