namespace OpenTunnel.Gateway.Tls;

/// <summary>
/// What a <see cref="CstpConnection"/> hands to its session: called on the connection's read
/// task, so each call must be quick and must not block.
/// </summary>
public interface ICstpInbound
{
    /// <summary>A frame (data or control) arrived: the client is alive.</summary>
    void OnReceived();

    /// <summary>One IP packet arrived over TLS. The span is valid only during the call, and the session may change it (the TLS window clamp).</summary>
    void OnDataPacket(Span<byte> packet);

    /// <summary>No whole frame is buffered: the connection is about to wait for the client.</summary>
    void OnReadIdle();
}
