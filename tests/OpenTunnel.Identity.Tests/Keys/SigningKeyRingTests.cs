using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenTunnel.Identity.Keys;
using OpenTunnel.Testing;

namespace OpenTunnel.Identity.Tests.Keys;

[Trait("Category", "Unit")]
public sealed class SigningKeyRingTests : IDisposable
{
    private static readonly TimeSpan Rotation = TimeSpan.FromDays(30);
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(15);
    private readonly TemporaryDirectory _directory = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void Refresh_FirstStart_CreatesOneOwnerOnlyKeyFile()
    {
        SigningKeyRing ring = NewRing();

        Assert.True(ring.Refresh());

        SigningKey key = Assert.Single(ring.Keys);
        string file = Assert.Single(Directory.GetFiles(KeyFolder));
        Assert.Contains(key.KeyId, file, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(KeyFolder));
    }

    [Fact]
    public void Refresh_Restarted_LoadsTheSameKeyWithoutChange()
    {
        SigningKeyRing first = NewRing();
        first.Refresh();
        string keyId = first.Keys[0].KeyId;

        SigningKeyRing restarted = NewRing();
        restarted.Refresh();

        Assert.Equal(keyId, Assert.Single(restarted.Keys).KeyId);
    }

    [Fact]
    public void Refresh_AfterRotationInterval_NewKeySignsAndOldStaysPublishedUntilRetentionEnds()
    {
        SigningKeyRing ring = NewRing();
        ring.Refresh();
        string old = ring.Keys[0].KeyId;

        _clock.Advance(Rotation);
        Assert.True(ring.Refresh());
        Assert.Equal(2, ring.Keys.Count);
        Assert.NotEqual(old, ring.Keys[0].KeyId);
        Assert.Equal(old, ring.Keys[1].KeyId);

        _clock.Advance(Retention - TimeSpan.FromSeconds(1));
        Assert.False(ring.Refresh());
        Assert.Equal(2, ring.Keys.Count);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(ring.Refresh());
        Assert.NotEqual(old, Assert.Single(ring.Keys).KeyId);
        Assert.Single(Directory.GetFiles(KeyFolder));
    }

    [Fact]
    public void Refresh_DamagedKeyFile_RefusesNamingTheFile()
    {
        Directory.CreateDirectory(KeyFolder);
        string damaged = Path.Combine(KeyFolder, "x.signing-key.json");
        File.WriteAllText(damaged, "{not json");

        InvalidDataException refused = Assert.Throws<InvalidDataException>(() => NewRing().Refresh());

        Assert.Contains(damaged, refused.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    private string KeyFolder => Path.Combine(_directory.Path, "keys");

    private SigningKeyRing NewRing() => new(KeyFolder, Rotation, Retention, _clock, NullLogger<SigningKeyRing>.Instance);
}
