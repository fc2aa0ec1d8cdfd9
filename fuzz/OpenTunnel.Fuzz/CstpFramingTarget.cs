using OpenTunnel.Gateway.Tls;
using OpenTunnel.Protocol.Cstp;

namespace OpenTunnel.Fuzz;

/// <summary>
/// The CSTP stream after the CONNECT, read the way the gateway reads it
/// (<see cref="ConnectionReader.ReadFrameAsync"/> over <see cref="CstpFrame.TryReadHeader"/>), each
/// frame's header written back (<see cref="CstpFrame.WriteHeader"/>) to the same bytes. Input: see
/// <see cref="ClientConnectionInput"/>. Documented refusal: <see cref="InvalidDataException"/> (stream out of step).
/// </summary>
internal static class CstpFramingTarget
{
    public static void Run(ReadOnlySpan<byte> input) => ClientConnectionInput.Read(input, ReadFrame);

    private static bool ReadFrame(ConnectionReader reader)
    {
        if (reader.ReadFrameAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() is not { } frame)
        {
            return false;
        }

        FuzzInvariantException.Check(frame.Length <= ConnectionReader.MaxFramePayload, "a frame is at most MaxFramePayload bytes");
        FuzzInvariantException.Check(frame.Offset >= CstpFrame.HeaderLength && frame.Offset + frame.Length <= reader.Buffer.Length, "a frame lies inside the buffer");
        Span<byte> header = stackalloc byte[CstpFrame.HeaderLength];
        CstpFrame.WriteHeader(header, frame.Type, frame.Length);
        var received = reader.Buffer.AsSpan(frame.Offset - CstpFrame.HeaderLength, CstpFrame.HeaderLength);
        // Byte 7 is reserved: written as zero, not checked on reading (openconnect cstp.c).
        FuzzInvariantException.Check(header[..7].SequenceEqual(received[..7]), "a header read and written again gives the same bytes");
        return true;
    }
}
