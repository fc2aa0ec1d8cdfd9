using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Fuzz;

/// <summary>
/// Fixed AES-256-GCM keys for the DTLS targets, so the fuzzer reaches the code behind decryption:
/// records the harness seals with the client's side open under the gateway's side.
/// </summary>
internal static class DtlsKeys
{
    public static DtlsCipherSuite Suite { get; } = DtlsCipherSuite.All[0];

    private static byte[] KeyBlock { get; } = Enumerable.Range(1, DtlsRecordProtection.KeyBlockLength(Suite.KeyLength)).Select(i => (byte)i).ToArray();

    /// <summary>The gateway's record layer of an established channel.</summary>
    public static DtlsRecordProtection Server() =>
        DtlsRecordProtection.ForServer(KeyBlock, Suite.KeyLength, DtlsChannelEpoch, ServerFirstSequence);

    /// <summary>The client's record layer: it writes with the client key and reads with the server key.</summary>
    public static DtlsRecordProtection Client() =>
        DtlsRecordProtection.ForClient(KeyBlock, Suite.KeyLength, DtlsChannelEpoch, 1);

    /// <summary>Seals <paramref name="plaintext"/> as one record of <paramref name="contentType"/> and returns the record.</summary>
    public static byte[] Seal(DtlsRecordProtection client, byte contentType, ReadOnlySpan<byte> plaintext)
    {
        byte[] record = new byte[plaintext.Length + DtlsRecordProtection.Overhead];
        int length = client.Seal(contentType, plaintext, record);
        return record[..length];
    }

    private const ushort DtlsChannelEpoch = DtlsRecordProtection.EstablishedEpoch;
    private const ulong ServerFirstSequence = DtlsRecordProtection.FirstSequenceAfterHandshake;
}
