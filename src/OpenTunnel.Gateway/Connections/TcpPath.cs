namespace OpenTunnel.Gateway.Connections;

/// <summary>
/// What a client's TCP connection tells of its path: the path MTU it found and its smoothed
/// round trip in microseconds, each null when the socket does not say (in-memory connections in
/// tests have no socket).
/// </summary>
public sealed record TcpPath(Func<int?> Mtu, Func<int?> RoundTripMicroseconds);
