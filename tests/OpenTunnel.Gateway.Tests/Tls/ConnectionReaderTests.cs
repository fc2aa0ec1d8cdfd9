using System.Text;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Streams;

namespace OpenTunnel.Gateway.Tests.Tls;

[Trait("Category", "Unit")]
public sealed class ConnectionReaderTests
{
    [Fact]
    public async Task ReadRequestAsync_RequestWithBody_ReadsHeadAndBodyThenTheNextRequest()
    {
        using var reader = new ConnectionReader(new MemoryStream(Encoding.ASCII.GetBytes(
            "POST /a HTTP/1.1\r\nHost: g\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: g\r\n\r\n")));

        var first = await reader.ReadRequestAsync(CancellationToken.None);
        var second = await reader.ReadRequestAsync(CancellationToken.None);

        Assert.Equal("/a", first!.Value.Head.Path);
        Assert.Equal("hello", Encoding.ASCII.GetString(first.Value.Body));
        Assert.Equal("/b", second!.Value.Head.Path);
        Assert.Null(await reader.ReadRequestAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ReadRequestAsync_ClosedInsideTheBody_ThrowsNamingIt()
    {
        using var reader = new ConnectionReader(new MemoryStream(Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")));

        var e = await Assert.ThrowsAsync<InvalidDataException>(async () => await reader.ReadRequestAsync(CancellationToken.None));
        Assert.Contains("request body", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadRequestAsync_ClosedInsideTheHead_ThrowsNamingIt()
    {
        using var reader = new ConnectionReader(new MemoryStream(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost")));

        var e = await Assert.ThrowsAsync<InvalidDataException>(async () => await reader.ReadRequestAsync(CancellationToken.None));
        Assert.Contains("request head", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadFrameAsync_FramesSplitAcrossReads_EachWholeAndBufferedOnesKnown()
    {
        byte[] frames = [.. Frame(CstpPacketType.Data, [1, 2, 3]), .. Frame(CstpPacketType.Keepalive, [])];
        using var reader = new ConnectionReader(new OneByteStream(frames));

        var data = await reader.ReadFrameAsync(CancellationToken.None);
        var keepalive = await reader.ReadFrameAsync(CancellationToken.None);

        Assert.Equal(CstpPacketType.Data, data!.Value.Type);
        Assert.Equal(3, data.Value.Length);
        Assert.Equal(CstpPacketType.Keepalive, keepalive!.Value.Type);
        Assert.False(reader.HasBufferedFrame);
        Assert.Null(await reader.ReadFrameAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ReadFrameAsync_TwoFramesInOneRead_SecondIsBuffered()
    {
        byte[] frames = [.. Frame(CstpPacketType.Data, [1]), .. Frame(CstpPacketType.Data, [2])];
        using var reader = new ConnectionReader(new MemoryStream(frames));

        var first = await reader.ReadFrameAsync(CancellationToken.None);

        Assert.Equal(1, reader.Buffer[first!.Value.Offset]);
        Assert.True(reader.HasBufferedFrame);
    }

    [Fact]
    public async Task ReadFrameAsync_LargerThanTheLimit_ThrowsOutOfStep()
    {
        byte[] header = new byte[CstpFrame.HeaderLength];
        CstpFrame.WriteHeader(header, CstpPacketType.Data, ConnectionReader.MaxFramePayload + 1);
        using var reader = new ConnectionReader(new MemoryStream(header));

        var e = await Assert.ThrowsAsync<InvalidDataException>(async () => await reader.ReadFrameAsync(CancellationToken.None));
        Assert.Contains("larger than", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadFrameAsync_WaitingForTheClient_HoldsNoBuffer()
    {
        var (client, server) = InMemoryDuplexStream.CreatePair();
        using var reader = new ConnectionReader(server);
        await client.WriteAsync(Frame(CstpPacketType.Data, [7]));
        await client.FlushAsync();
        var first = await reader.ReadFrameAsync(CancellationToken.None);
        Assert.Equal(7, reader.Buffer[first!.Value.Offset]);

        var waiting = reader.ReadFrameAsync(CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        Assert.Empty(reader.Buffer);
        await client.WriteAsync(Frame(CstpPacketType.Data, [8, 9]));
        await client.FlushAsync();
        var second = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([8, 9], reader.Buffer.AsSpan(second!.Value.Offset, second.Value.Length).ToArray());
    }

    private static byte[] Frame(CstpPacketType type, byte[] payload)
    {
        byte[] frame = new byte[CstpFrame.HeaderLength + payload.Length];
        CstpFrame.WriteHeader(frame, type, payload.Length);
        payload.CopyTo(frame, CstpFrame.HeaderLength);
        return frame;
    }

    /// <summary>Gives one byte per read, the worst split a TLS record boundary can make.</summary>
    private sealed class OneByteStream(byte[] content) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
