namespace OpenTunnel.Gateway.Connections;

/// <summary>
/// What a client's TCP connection tells of its path: the path MTU it found, its smoothed round trip
/// and the least round trip it measured (the path's own, without queues), in microseconds, each
/// null when the socket does not say (in-memory connections in tests have no socket).
/// </summary>
public sealed record TcpPath(Func<int?> Mtu, Func<int?> RoundTripMicroseconds, Func<int?> LeastRoundTripMicroseconds);
