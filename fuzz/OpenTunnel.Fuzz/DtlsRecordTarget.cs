using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Fuzz;

/// <summary>
/// One UDP datagram through the DTLS record parsers: the header (<see cref="DtlsRecord.TryReadHeader"/>),
/// the ClientHello session id (<see cref="DtlsRecord.TryReadClientHelloSessionId"/>) and every
/// record opened under an established channel's keys (<see cref="DtlsRecordProtection.Open"/>),
/// record by record as the channel walks a datagram. When the first byte is odd, the rest is
/// also sealed by the client's side first and must open to the same bytes (or, longer than one
/// record can carry, be refused naming the plaintext). Input: the datagram.
/// Documented refusal: false or a <see cref="DtlsOpenResult"/> other than Ok; no exception.
/// </summary>
internal static class DtlsRecordTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (DtlsRecord.TryReadHeader(input, out _, out _, out _, out int length))
        {
            FuzzInvariantException.Check(DtlsRecord.HeaderLength + length <= input.Length, "a header's length fits the datagram");
        }

        if (DtlsRecord.TryReadClientHelloSessionId(input, out var sessionId))
        {
            FuzzInvariantException.Check(input.Length > DtlsRecord.ClientHelloSessionIdOffset + DtlsSessionId.Length && sessionId.ToHex().Length == 2 * DtlsSessionId.Length, "a session id comes from inside the datagram");
        }

        byte[] plaintext = new byte[ushort.MaxValue];
        using var server = DtlsKeys.Server();
        var datagram = input;
        while (DtlsRecord.TryReadHeader(datagram, out _, out _, out _, out length))
        {
            var record = datagram[..(DtlsRecord.HeaderLength + length)];
            datagram = datagram[record.Length..];
            if (server.Open(record, plaintext, out _, out int plaintextLength) == DtlsOpenResult.Ok)
            {
                FuzzInvariantException.Check(plaintextLength == length - DtlsRecordProtection.ExplicitNonceLength - DtlsRecordProtection.TagLength, "an opened record's text is its length less nonce and tag");
            }
        }

        if (input.Length > 0 && (input[0] & 1) == 1)
        {
            using var client = DtlsKeys.Client();
            var text = input[1..];
            if (text.Length > DtlsRecordProtection.MaxPlaintextLength)
            {
                // Too long for one record's 16-bit length: refused by name, never written with a wrapped length.
                byte[] room = new byte[text.Length + DtlsRecordProtection.Overhead];
                bool refused = false;
                try
                {
                    client.Seal(DtlsRecord.ApplicationData, text, room);
                }
                catch (ArgumentException e) when (e.ParamName == "plaintext")
                {
                    refused = true;
                }

                FuzzInvariantException.Check(refused, "a text longer than a record can carry is refused");
                return;
            }

            byte[] sealedRecord = DtlsKeys.Seal(client, DtlsRecord.ApplicationData, text);
            var result = server.Open(sealedRecord, plaintext, out byte type, out int opened);
            FuzzInvariantException.Check(result == DtlsOpenResult.Ok && type == DtlsRecord.ApplicationData && plaintext.AsSpan(0, opened).SequenceEqual(text), "a sealed record opens to its text");
        }
    }
}
