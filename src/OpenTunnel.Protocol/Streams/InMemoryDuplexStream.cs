using System.IO.Pipelines;

namespace OpenTunnel.Protocol.Streams;

/// <summary>
/// One end of an in-memory byte stream pair: what one end writes, the other reads, as over a TCP
/// connection. The gateway runs a TLS handshake with itself through one (ServerCertificate); tests
/// connect the two sides of a protocol without sockets.
/// </summary>
public sealed class InMemoryDuplexStream : Stream
{
    private readonly Stream _reading;
    private readonly Stream _writing;
    private readonly PipeWriter _writer;

    private InMemoryDuplexStream(PipeReader reader, PipeWriter writer)
    {
        _reading = reader.AsStream();
        _writer = writer;
        _writing = writer.AsStream();
    }

    public static (InMemoryDuplexStream Client, InMemoryDuplexStream Server) CreatePair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new InMemoryDuplexStream(toClient.Reader, toServer.Writer), new InMemoryDuplexStream(toServer.Reader, toClient.Writer));
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => _writing.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _writing.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _reading.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _reading.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _reading.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _writing.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _writing.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _writing.WriteAsync(buffer, offset, count, cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // The peer reads end-of-stream, as after a TCP FIN; a blocked read here ends too.
            _writer.Complete();
            _reading.Dispose();
        }

        base.Dispose(disposing);
    }
}
