using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpenTunnel.Testing;

/// <summary>
/// A tiny DNS server (RFC 1035, UDP) inside a namespace for tests of a tunnel's DNS: it answers an A
/// question for each name it knows with its address, any other question of a known name with no
/// answer, and an unknown name with NXDOMAIN; it records every question with the address it came
/// from, so a test can tell whose queries reached it. It stops on Dispose.
/// </summary>
public sealed class DnsResponder : IDisposable
{
    private readonly Socket _socket;
    private readonly IReadOnlyDictionary<string, IPAddress> _names;
    private readonly CancellationTokenSource _stopping = new();

    private DnsResponder(Socket socket, IReadOnlyDictionary<string, IPAddress> names)
    {
        _socket = socket;
        _names = names;
        _ = AnswerLoopAsync();
    }

    /// <summary>Every question so far: the name asked and the address that asked.</summary>
    public ConcurrentQueue<(string Name, IPAddress From)> Questions { get; } = new();

    /// <summary>Listens on <paramref name="address"/>:53 (an address of namespace <paramref name="ns"/>); <paramref name="names"/> are answered (without the final dot).</summary>
    public static DnsResponder Start(string ns, string address, IReadOnlyDictionary<string, IPAddress> names) =>
        new(NamespaceThread.Run(ns, () =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(address), 53));
            return socket;
        }), new Dictionary<string, IPAddress>(names, StringComparer.OrdinalIgnoreCase));

    public void Dispose()
    {
        _stopping.Cancel();
        _socket.Dispose();
        _stopping.Dispose();
    }

    private async Task AnswerLoopAsync()
    {
        byte[] buffer = new byte[1500];
        while (!_stopping.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (Answer(buffer.AsSpan(0, received.ReceivedBytes), ((IPEndPoint)received.RemoteEndPoint).Address) is { } answer)
            {
                try
                {
                    await _socket.SendToAsync(answer, SocketFlags.None, received.RemoteEndPoint);
                }
                catch (Exception e) when (e is ObjectDisposedException or SocketException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The answer to one query; null for what is not a query with one question (dropped).</summary>
    private byte[]? Answer(ReadOnlySpan<byte> query, IPAddress from)
    {
        if (query.Length < 12 || (query[2] & 0x80) != 0 || BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1)
        {
            return null;
        }

        var name = new StringBuilder();
        int offset = 12;
        while (offset < query.Length && query[offset] != 0)
        {
            int length = query[offset];
            if (length > 63 || offset + 1 + length > query.Length)
            {
                return null;
            }

            name.Append(name.Length > 0 ? "." : string.Empty).Append(Encoding.ASCII.GetString(query.Slice(offset + 1, length)));
            offset += 1 + length;
        }

        if (offset + 5 > query.Length)
        {
            return null;
        }

        int questionEnd = offset + 5;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(query[(offset + 1)..]);
        Questions.Enqueue((name.ToString(), from));
        bool known = _names.TryGetValue(name.ToString(), out IPAddress? address);
        bool answered = known && type == 1 && address!.AddressFamily == AddressFamily.InterNetwork;
        var answer = new List<byte>(query[..questionEnd].ToArray());
        answer[2] = (byte)(0x84 | (query[2] & 0x01)); // QR, AA, the query's RD
        answer[3] = (byte)(known ? 0 : 3); // NOERROR or NXDOMAIN
        answer[6] = 0;
        answer[7] = (byte)(answered ? 1 : 0);
        answer[8] = answer[9] = answer[10] = answer[11] = 0;
        if (answered)
        {
            // The name as a pointer to the question (offset 12), type A, class IN, TTL 60, 4 bytes of address.
            answer.AddRange([0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            answer.AddRange(address!.GetAddressBytes());
        }

        return [.. answer];
    }
}
