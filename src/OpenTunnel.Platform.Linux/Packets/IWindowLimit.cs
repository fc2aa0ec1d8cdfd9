namespace OpenTunnel.Platform.Linux.Packets;

/// <summary>The most bytes a TCP flow's receive window may advertise (<see cref="TcpWindowClamp"/>), worked out when asked.</summary>
public interface IWindowLimit
{
    int Bytes { get; }
}
