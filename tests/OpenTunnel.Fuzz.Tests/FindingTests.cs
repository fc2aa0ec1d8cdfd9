namespace OpenTunnel.Fuzz.Tests;

/// <summary>One test per fuzzing finding (fuzz/README.md), each replaying the finding's checked-in input through its target.</summary>
[Trait("Category", "Unit")]
public sealed class FindingTests
{
    /// <summary>
    /// dtls-record, 2026-12-03: a 65,532-byte text to seal was refused naming the destination
    /// ("needs 65569 bytes of room; got 65569"), though the destination had room and the text was
    /// what no record can carry. Now the text is refused by name, and the target checks that.
    /// </summary>
    [Fact]
    public void DtlsRecord_SealTextLongerThanARecord_IsRefusedNamingThePlaintext() =>
        FuzzTargets.All["dtls-record"](File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "corpus", "dtls-record", "finding-seal-text-longer-than-a-record")));
}
