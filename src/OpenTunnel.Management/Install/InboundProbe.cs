using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpenTunnel.Management.Install;

/// <summary>What one inbound probe found: whether the server's responder answered with its nonce, and if not, why.</summary>
public sealed record ProbeOutcome(bool Reachable, string Detail);

/// <summary>
/// Probes a server's gateway port from the management service back to the server, the way a
/// device on the internet would reach it: a TCP connection and a UDP datagram to the address
/// and port given, each of which must be answered with the nonce the install script's
/// responder was started with (so an unrelated service on that port does not count, and a
/// probe learns nothing about a port where no responder runs but "no answer").
/// </summary>
public static class InboundProbe
{
    /// <summary>The most bytes read from a TCP answer: a nonce and a line end.</summary>
    private const int MaximumAnswer = 128;

    /// <summary>What the UDP probe sends; the responder answers any datagram with its nonce.</summary>
    private static readonly byte[] UdpQuestion = Encoding.ASCII.GetBytes("opentunnel-readiness\n");

    /// <summary>A nonce the responder may be started with: 16 to 64 letters and digits.</summary>
    public static bool IsWellFormedNonce(string? nonce) =>
        nonce is { Length: >= 16 and <= 64 } && nonce.All(char.IsAsciiLetterOrDigit);

    public static Task<ProbeOutcome> TcpAsync(IPEndPoint target, string nonce, TimeSpan timeout, CancellationToken cancellationToken) =>
        ProbeAsync(target, SocketType.Stream, ProtocolType.Tcp, timeout, cancellationToken, async (socket, deadline) =>
        {
            byte[] buffer = new byte[MaximumAnswer];
            int filled = 0;
            while (filled < buffer.Length)
            {
                int read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, deadline);
                if (read == 0)
                {
                    break;
                }

                filled += read;
                if (Array.IndexOf(buffer, (byte)'\n', 0, filled) >= 0)
                {
                    break;
                }
            }

            return Encoding.ASCII.GetString(buffer, 0, filled).Trim() == nonce
                ? new ProbeOutcome(true, $"TCP {target} answered")
                : new ProbeOutcome(false, $"TCP {target} accepted the connection but another program answered, not the install script's responder");
        });

    public static Task<ProbeOutcome> UdpAsync(IPEndPoint target, string nonce, TimeSpan timeout, CancellationToken cancellationToken) =>
        ProbeAsync(target, SocketType.Dgram, ProtocolType.Udp, timeout, cancellationToken, async (socket, deadline) =>
        {
            byte[] buffer = new byte[MaximumAnswer];
            // Three tries a second apart: one lost datagram is not a closed port.
            for (int attempt = 0; attempt < 3; attempt++)
            {
                await socket.SendAsync(UdpQuestion, SocketFlags.None, deadline);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(deadline);
                wait.CancelAfter(TimeSpan.FromSeconds(1));
                try
                {
                    int read = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                    return Encoding.ASCII.GetString(buffer, 0, read).Trim() == nonce
                        ? new ProbeOutcome(true, $"UDP {target} answered")
                        : new ProbeOutcome(false, $"UDP {target}: another program answered, not the install script's responder");
                }
                catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
                {
                }
            }

            return new ProbeOutcome(false, $"UDP {target}: no answer to 3 datagrams (a firewall or NAT in front of the server drops it)");
        });

    /// <summary>
    /// Connects a socket to <paramref name="target"/> (for UDP, so the kernel passes up only the
    /// target's datagrams and reports its ICMP unreachable) and runs <paramref name="exchange"/>
    /// within <paramref name="timeout"/>; a timeout or socket error becomes an outcome that names it.
    /// </summary>
    private static async Task<ProbeOutcome> ProbeAsync(
        IPEndPoint target, SocketType type, ProtocolType protocol, TimeSpan timeout, CancellationToken cancellationToken,
        Func<Socket, CancellationToken, Task<ProbeOutcome>> exchange)
    {
        ArgumentNullException.ThrowIfNull(target);
        string name = protocol == ProtocolType.Tcp ? "TCP" : "UDP";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var socket = new Socket(target.AddressFamily, type, protocol);
        try
        {
            await socket.ConnectAsync(target, deadline.Token);
            return await exchange(socket, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProbeOutcome(false, $"{name} {target}: no answer within {timeout.TotalSeconds:0} s (a firewall or NAT in front of the server drops it)");
        }
        catch (SocketException e)
        {
            return new ProbeOutcome(false, $"{name} {target}: {e.SocketErrorCode} ({e.Message})");
        }
    }
}
