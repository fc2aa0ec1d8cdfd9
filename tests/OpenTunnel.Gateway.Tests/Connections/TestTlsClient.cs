using System.Net.Security;
using System.Text;
using OpenTunnel.Protocol.Cstp;

namespace OpenTunnel.Gateway.Tests.Connections;

/// <summary>The client side of an in-memory connection: a real TLS handshake, then HTTP requests and CSTP frames written and read by hand.</summary>
internal sealed class TestTlsClient : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly SslStream _ssl;
    private readonly List<byte> _pending = [];

    private TestTlsClient(SslStream ssl)
    {
        _ssl = ssl;
    }

    public static async Task<TestTlsClient> ConnectAsync(Stream transport)
    {
        // The gateway's certificate is self-signed here: trust it, as openconnect does with --servercert.
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        using var timeout = new CancellationTokenSource(Patience);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "gateway.test" }, timeout.Token);
        return new TestTlsClient(ssl);
    }

    public async Task SendAsync(string text) => await SendAsync(Encoding.ASCII.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _ssl.WriteAsync(bytes);
        await _ssl.FlushAsync();
    }

    public async Task SendFrameAsync(CstpPacketType type, byte[] payload)
    {
        byte[] frame = new byte[CstpFrame.HeaderLength + payload.Length];
        CstpFrame.WriteHeader(frame, type, payload.Length);
        payload.CopyTo(frame, CstpFrame.HeaderLength);
        await SendAsync(frame);
    }

    /// <summary>Reads one HTTP response: status, headers (last one wins) and a Content-Length body.</summary>
    public async Task<TestResponse> ReadResponseAsync()
    {
        int end;
        while ((end = IndexOfHeadEnd()) < 0)
        {
            await FillAsync();
        }

        string head = Encoding.ASCII.GetString([.. _pending.GetRange(0, end)]);
        _pending.RemoveRange(0, end + 4);
        string[] lines = head.Split("\r\n");
        int status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        int length = headers.TryGetValue("Content-Length", out string? text) ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;
        byte[] body = await TakeAsync(length);
        return new TestResponse(status, headers, Encoding.UTF8.GetString(body));
    }

    /// <summary>Reads one CSTP frame.</summary>
    public async Task<(CstpPacketType Type, byte[] Payload)> ReadFrameAsync()
    {
        byte[] header = await TakeAsync(CstpFrame.HeaderLength);
        Assert.Equal(CstpHeaderStatus.Complete, CstpFrame.TryReadHeader(header, out var type, out int length));
        return (type, await TakeAsync(length));
    }

    /// <summary>True when the gateway closed the connection (the next read finds its end).</summary>
    public async Task<bool> ClosedByServerAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(Patience);
            byte[] one = new byte[1];
            return _pending.Count == 0 && await _ssl.ReadAsync(one, timeout.Token) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync() => await _ssl.DisposeAsync();

    private int IndexOfHeadEnd()
    {
        for (int i = 0; i + 3 < _pending.Count; i++)
        {
            if (_pending[i] == '\r' && _pending[i + 1] == '\n' && _pending[i + 2] == '\r' && _pending[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    private async Task<byte[]> TakeAsync(int count)
    {
        while (_pending.Count < count)
        {
            await FillAsync();
        }

        byte[] taken = [.. _pending.GetRange(0, count)];
        _pending.RemoveRange(0, count);
        return taken;
    }

    private async Task FillAsync()
    {
        byte[] buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(Patience);
        int n = await _ssl.ReadAsync(buffer, timeout.Token);
        if (n == 0)
        {
            throw new EndOfStreamException("the gateway closed the connection");
        }

        _pending.AddRange(buffer.AsSpan(0, n).ToArray());
    }
}

internal sealed record TestResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out string? value) ? value : null;
}
