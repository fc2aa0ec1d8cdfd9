using System.Security.Cryptography;
using OpenTunnel.Platform.Linux.Crypto;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Platform.Linux.Tests.Crypto;

/// <summary>OpenSSL's AES-GCM (libcrypto.so.3) checked against .NET's own <see cref="AesGcm"/>.</summary>
public sealed class OpenSslAesGcmTests
{
    private const int TagLength = DtlsRecordProtection.TagLength;

    [Fact]
    public void IsAvailable_OnDebian12_IsTrue()
    {
        Assert.True(OpenSslAesGcm.IsAvailable);
        Assert.NotNull(OpenSslAesGcm.Factory);
    }

    [Fact]
    public void Create_MakesEachDirectionsContextAtItsFirstRecord_AndOnlyThen()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        using var cipher = (OpenSslAesGcm)OpenSslAesGcm.Create(key);
        byte[] nonce = new byte[12];
        byte[] text = new byte[20];
        byte[] tag = new byte[TagLength];
        Assert.Equal(0, cipher.ContextCount);

        cipher.Seal(nonce, text, text, tag, []);
        cipher.Seal(nonce, text, text, tag, []);
        Assert.Equal(1, cipher.ContextCount);

        cipher.TryOpen(nonce, text, tag, text, []);
        Assert.Equal(2, cipher.ContextCount);
    }

    [Fact]
    public void Seal_AfterTheDispose_IsRefused()
    {
        var cipher = OpenSslAesGcm.Create(RandomNumberGenerator.GetBytes(16));
        cipher.Dispose();

        Assert.Throws<ObjectDisposedException>(() => cipher.Seal(new byte[12], [], [], new byte[TagLength], []));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    public void Seal_RandomInputs_MatchesDotNetsAesGcm(int keyLength)
    {
        var random = new Random(keyLength);
        byte[] key = RandomNumberGenerator.GetBytes(keyLength);
        using var openSsl = OpenSslAesGcm.Create(key);
        using var reference = new AesGcm(key, TagLength);
        foreach (int length in new[] { 0, 1, 15, 16, 17, 84, 1400, 1500, 9000, 65_000 })
        {
            byte[] nonce = RandomNumberGenerator.GetBytes(12);
            byte[] additionalData = RandomNumberGenerator.GetBytes(random.Next(0, 14));
            byte[] plaintext = RandomNumberGenerator.GetBytes(length);
            byte[] ciphertext = new byte[length];
            byte[] tag = new byte[TagLength];
            byte[] expected = new byte[length];
            byte[] expectedTag = new byte[TagLength];

            openSsl.Seal(nonce, plaintext, ciphertext, tag, additionalData);
            reference.Encrypt(nonce, plaintext, expected, expectedTag, additionalData);

            Assert.Equal(expected, ciphertext);
            Assert.Equal(expectedTag, tag);
        }
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    public void TryOpen_WhatDotNetSealed_GivesThePlaintextBack(int keyLength)
    {
        byte[] key = RandomNumberGenerator.GetBytes(keyLength);
        using var openSsl = OpenSslAesGcm.Create(key);
        using var reference = new AesGcm(key, TagLength);
        foreach (int length in new[] { 0, 1, 16, 100, 1400, 65_000 })
        {
            var (nonce, ciphertext, tag, additionalData, plaintext) = SealedByDotNet(reference, length);
            byte[] opened = new byte[length];

            Assert.True(openSsl.TryOpen(nonce, ciphertext, tag, opened, additionalData));
            Assert.Equal(plaintext, opened);
        }
    }

    [Theory]
    [InlineData("tag")]
    [InlineData("ciphertext")]
    [InlineData("additional data")]
    [InlineData("nonce")]
    public void TryOpen_OneBitChanged_RefusesAndClearsTheOutput(string part)
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        using var openSsl = OpenSslAesGcm.Create(key);
        using var reference = new AesGcm(key, TagLength);
        var (nonce, ciphertext, tag, additionalData, _) = SealedByDotNet(reference, 100);
        byte[] changed = part switch
        {
            "tag" => tag,
            "ciphertext" => ciphertext,
            "additional data" => additionalData,
            _ => nonce,
        };
        changed[^1] ^= 1;
        byte[] opened = new byte[100];
        opened.AsSpan().Fill(0xAA);

        Assert.False(openSsl.TryOpen(nonce, ciphertext, tag, opened, additionalData));

        Assert.All(opened, b => Assert.Equal(0, b));
        // A refusal leaves the cipher usable: the next good record opens.
        var good = SealedByDotNet(reference, 50);
        byte[] next = new byte[50];
        Assert.True(openSsl.TryOpen(good.Nonce, good.Ciphertext, good.Tag, next, good.AdditionalData));
        Assert.Equal(good.Plaintext, next);
    }

    [Fact]
    public void SealAndOpen_InPlace_Work()
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        using var openSsl = OpenSslAesGcm.Create(key);
        byte[] nonce = RandomNumberGenerator.GetBytes(12);
        byte[] plaintext = RandomNumberGenerator.GetBytes(300);
        byte[] buffer = (byte[])plaintext.Clone();
        byte[] tag = new byte[TagLength];

        openSsl.Seal(nonce, buffer, buffer, tag, []);
        Assert.NotEqual(plaintext, buffer);
        Assert.True(openSsl.TryOpen(nonce, buffer, tag, buffer, []));

        Assert.Equal(plaintext, buffer);
    }

    [Fact]
    public void Create_KeyOfAnotherLength_ThrowsNamingTheLength()
    {
        var e = Assert.Throws<ArgumentException>(() => OpenSslAesGcm.Create(new byte[24]));
        Assert.Contains("24", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Seal_BadLengthsAndPartialOverlap_Throw()
    {
        using var openSsl = OpenSslAesGcm.Create(new byte[16]);
        byte[] buffer = new byte[200];

        Assert.Throws<ArgumentException>(() => openSsl.Seal(new byte[8], new byte[10], new byte[10], new byte[TagLength], []));
        Assert.Throws<ArgumentException>(() => openSsl.Seal(new byte[12], new byte[10], new byte[11], new byte[TagLength], []));
        Assert.Throws<ArgumentException>(() => openSsl.Seal(new byte[12], new byte[10], new byte[10], new byte[12], []));
        Assert.Throws<ArgumentException>(() => openSsl.Seal(new byte[12], buffer.AsSpan(0, 100), buffer.AsSpan(1, 100), new byte[TagLength], []));
    }

    [Fact]
    public void Seal_AfterDispose_ThrowsObjectDisposed()
    {
        var openSsl = OpenSslAesGcm.Create(new byte[16]);
        openSsl.Dispose();

        Assert.Throws<ObjectDisposedException>(() => openSsl.Seal(new byte[12], new byte[10], new byte[10], new byte[TagLength], []));
    }

    [Fact]
    public void DtlsRecordProtection_WithOpenSslOnOneSideAndDotNetOnTheOther_Interoperates()
    {
        byte[] block = RandomNumberGenerator.GetBytes(DtlsRecordProtection.KeyBlockLength(32));
        using var gateway = DtlsRecordProtection.ForServer(block, 32, 1, 0, OpenSslAesGcm.Create);
        using var client = DtlsRecordProtection.ForClient(block, 32, 1, 0);
        byte[] plaintext = RandomNumberGenerator.GetBytes(1300);
        byte[] record = new byte[plaintext.Length + DtlsRecordProtection.Overhead];
        byte[] opened = new byte[plaintext.Length];

        for (int i = 0; i < 3; i++)
        {
            gateway.Seal(DtlsRecord.ApplicationData, plaintext, record);
            Assert.Equal(DtlsOpenResult.Ok, client.Open(record, opened, out _, out int length));
            Assert.Equal(plaintext, opened[..length]);

            client.Seal(DtlsRecord.ApplicationData, plaintext, record);
            Assert.Equal(DtlsOpenResult.Ok, gateway.Open(record, opened, out _, out length));
            Assert.Equal(plaintext, opened[..length]);
        }

        client.Seal(DtlsRecord.ApplicationData, plaintext, record);
        record[^1] ^= 1;
        Assert.Equal(DtlsOpenResult.AuthenticationFailed, gateway.Open(record, opened, out _, out _));
    }

    private static (byte[] Nonce, byte[] Ciphertext, byte[] Tag, byte[] AdditionalData, byte[] Plaintext) SealedByDotNet(AesGcm aes, int length)
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(12);
        byte[] additionalData = RandomNumberGenerator.GetBytes(13);
        byte[] plaintext = RandomNumberGenerator.GetBytes(length);
        byte[] ciphertext = new byte[length];
        byte[] tag = new byte[TagLength];
        aes.Encrypt(nonce, plaintext, ciphertext, tag, additionalData);
        return (nonce, ciphertext, tag, additionalData, plaintext);
    }
}
