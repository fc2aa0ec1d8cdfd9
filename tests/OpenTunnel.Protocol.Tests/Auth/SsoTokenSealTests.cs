using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using OpenTunnel.Protocol.Auth;

namespace OpenTunnel.Protocol.Tests.Auth;

[Trait("Category", "Unit")]
public sealed class SsoTokenSealTests
{
    [Fact]
    public void Seal_OpenedAsOpenConnectDoes_GivesTheToken()
    {
        using var client = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        Assert.True(SsoTokenSeal.TryReadClientKey(Convert.ToBase64String(client.ExportSubjectPublicKeyInfo()), out var key, out string? error), error);

        string sealedToken = SsoTokenSeal.Seal(key, "0123abcdEF");

        Assert.Equal("0123abcdEF", Open(client, sealedToken));
    }

    [Fact]
    public void Seal_TwiceForOneToken_UsesFreshKeysAndIvs()
    {
        using var client = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        SsoTokenSeal.TryReadClientKey(Convert.ToBase64String(client.ExportSubjectPublicKeyInfo()), out var key, out _);

        Assert.NotEqual(SsoTokenSeal.Seal(key, "abc"), SsoTokenSeal.Seal(key, "abc"));
    }

    [Fact]
    public void Seal_OpenedWithAnotherKey_FailsAuthentication()
    {
        using var client = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        SsoTokenSeal.TryReadClientKey(Convert.ToBase64String(client.ExportSubjectPublicKeyInfo()), out var key, out _);

        Assert.ThrowsAny<CryptographicException>(() => Open(stranger, SsoTokenSeal.Seal(key, "abc")));
    }

    [Fact]
    public void Seal_TokenWithSymbols_IsRefused()
    {
        using var client = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        SsoTokenSeal.TryReadClientKey(Convert.ToBase64String(client.ExportSubjectPublicKeyInfo()), out var key, out _);

        Assert.Throws<ArgumentException>(() => SsoTokenSeal.Seal(key, "a-b"));
    }

    [Theory]
    [InlineData(null, "no X-AnyConnect-STRAP-DH-Pubkey header")]
    [InlineData("not base64!", "not a base64 P-256 public key")]
    [InlineData("AAAA", "not a base64 P-256 public key")]
    public void TryReadClientKey_BadHeader_NamesTheProblem(string? header, string expected)
    {
        Assert.False(SsoTokenSeal.TryReadClientKey(header, out _, out string? error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadClientKey_KeyOnAnotherCurve_IsRefused()
    {
        using var other = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);

        Assert.False(SsoTokenSeal.TryReadClientKey(Convert.ToBase64String(other.ExportSubjectPublicKeyInfo()), out _, out string? error));
        Assert.Contains("not P-256", error, StringComparison.Ordinal);
    }

    /// <summary>What openconnect 9.01 does with the blob (external-browser.c and gnutls.c): TLVs after 00 01, ECDH x coordinate, HKDF-SHA256 "AC_ECIES", AES-256-GCM with a 12-byte tag.</summary>
    private static string Open(ECDiffieHellman client, string sealedToken)
    {
        byte[] blob = Convert.FromBase64String(sealedToken);
        Assert.Equal([0, 1], blob[..2]);
        var parts = new Dictionary<int, byte[]>();
        for (int pos = 2; pos < blob.Length;)
        {
            int tag = BinaryPrimitives.ReadUInt16BigEndian(blob.AsSpan(pos));
            int length = BinaryPrimitives.ReadUInt16BigEndian(blob.AsSpan(pos + 2));
            parts.Add(tag, blob[(pos + 4)..(pos + 4 + length)]);
            pos += 4 + length;
        }

        Assert.Equal(12, parts[SsoTokenSeal.AuthenticationTag].Length);
        Assert.Equal(12, parts[SsoTokenSeal.IvTag].Length);
        using var server = ECDiffieHellman.Create();
        server.ImportSubjectPublicKeyInfo(parts[SsoTokenSeal.PublicKeyTag], out _);
        byte[] secret = client.DeriveRawSecretAgreement(server.PublicKey);
        byte[] prk = HMACSHA256.HashData(new byte[32], secret);
        byte[] info = [.. "AC_ECIES"u8, 1];
        byte[] key = HMACSHA256.HashData(prk, info);
        byte[] plaintext = new byte[parts[SsoTokenSeal.CiphertextTag].Length];
        using var aes = new AesGcm(key, 12);
        aes.Decrypt(parts[SsoTokenSeal.IvTag], parts[SsoTokenSeal.CiphertextTag], parts[SsoTokenSeal.AuthenticationTag], plaintext);
        return Encoding.ASCII.GetString(plaintext);
    }
}
