using System.Net;
using System.Net.Sockets;

namespace OpenTunnel.Testing;

/// <summary>Ports for services a test starts on 127.0.0.1.</summary>
public static class LoopbackPorts
{
    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice, released again).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
