using System.Buffers.Binary;
using System.Text;

namespace OpenTunnel.Client.OnDemand;

/// <summary>The little of a DNS message (RFC 1035 section 4.1) the on-demand stub reads and writes.</summary>
public static class DnsMessage
{
    /// <summary>RCODE 2 (RFC 1035 section 4.1.1): the server could not answer.</summary>
    public const int ServerFailureCode = 2;

    /// <summary>RCODE 3: the name does not exist.</summary>
    public const int NameErrorCode = 3;

    private const int HeaderLength = 12;

    /// <summary>
    /// The name asked (lower case, without the final dot) when <paramref name="message"/> is a query
    /// with exactly one question; null for anything else (an answer, a malformed message, a
    /// compressed name, which a question never needs).
    /// </summary>
    public static string? QuestionName(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength || (message[2] & 0x80) != 0 || BinaryPrimitives.ReadUInt16BigEndian(message[4..]) != 1)
        {
            return null;
        }

        var name = new StringBuilder();
        int offset = HeaderLength;
        while (true)
        {
            if (offset >= message.Length)
            {
                return null;
            }

            int length = message[offset];
            if (length == 0)
            {
                break;
            }

            if (length > 63 || offset + 1 + length > message.Length || name.Length + length > 253)
            {
                return null;
            }

            if (name.Length > 0)
            {
                name.Append('.');
            }

            name.Append(Encoding.ASCII.GetString(message.Slice(offset + 1, length)).ToLowerInvariant());
            offset += 1 + length;
        }

        // The type and the class follow the name.
        return offset + 5 <= message.Length ? name.ToString() : null;
    }

    /// <summary>The response code of an answer.</summary>
    public static int ResponseCode(ReadOnlySpan<byte> answer) => answer.Length < HeaderLength ? ServerFailureCode : answer[3] & 0x0F;

    /// <summary>The message's id (the first two bytes), which an answer repeats.</summary>
    public static ushort Id(ReadOnlySpan<byte> message) => message.Length < 2 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(message);

    /// <summary>A SERVFAIL answer to <paramref name="query"/>: its header and question, with QR and RA set, the query's RD, no records.</summary>
    public static byte[] ServerFailure(ReadOnlySpan<byte> query)
    {
        byte[] answer = query.ToArray();
        answer[2] = (byte)(0x80 | (query[2] & 0x79)); // QR, the query's opcode and RD
        answer[3] = 0x80 | ServerFailureCode; // RA, SERVFAIL
        answer.AsSpan(6, 6).Clear(); // no answer, authority or additional records (an EDNS record of the query is dropped with them)
        int end = HeaderLength;
        while (end < answer.Length && answer[end] != 0)
        {
            end += 1 + answer[end];
        }

        return answer[..Math.Min(answer.Length, end + 5)];
    }
}
