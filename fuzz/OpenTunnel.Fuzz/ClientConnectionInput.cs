using OpenTunnel.Gateway.Tls;

namespace OpenTunnel.Fuzz;

/// <summary>
/// What a client sends on one TLS connection, read through the gateway's
/// <see cref="ConnectionReader"/>. Input: one byte choosing the read size (0: everything at once;
/// n: n × 67 bytes, so TLS records of 67 to 17,085 bytes), then the bytes.
/// </summary>
internal static class ClientConnectionInput
{
    /// <summary>
    /// Calls <paramref name="next"/> until it returns false (the client closed the connection).
    /// <see cref="InvalidDataException"/>, the reader's documented refusal (the gateway then ends
    /// the connection), ends it too; any other exception escapes.
    /// </summary>
    public static void Read(ReadOnlySpan<byte> input, Func<ConnectionReader, bool> next)
    {
        var stream = input.IsEmpty ? new ChunkedStream([], 1) : new ChunkedStream(input[1..].ToArray(), input[0] == 0 ? int.MaxValue : input[0] * 67);
        using var reader = new ConnectionReader(stream);
        try
        {
            while (next(reader))
            {
            }
        }
        catch (InvalidDataException)
        {
        }
    }
}
