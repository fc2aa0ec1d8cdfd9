using System.Security.Cryptography;
using OpenTunnel.Client.State;
using OpenTunnel.Platform.Linux.Files;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.State;

[Trait("Category", "Unit")]
public sealed class ClientStateDirectoryTests
{
    [Theory]
    [InlineData("/srv/ot", true, "/home/a", "/srv/ot")]
    [InlineData(null, true, "/root", "/var/lib/opentunnel-client")]
    [InlineData("", false, "/home/alice", "/home/alice/.config/opentunnel")]
    public void Locate_VariableRootOrHome_PicksInThatOrder(string? variable, bool isRoot, string home, string expected)
    {
        Assert.Equal(expected, ClientStateDirectory.Locate(variable, isRoot, home));
    }

    [Fact]
    public void Locate_NoVariableNoHome_ThrowsNamingTheVariable()
    {
        var e = Assert.Throws<ClientStateException>(() => ClientStateDirectory.Locate(null, false, ""));

        Assert.Contains("OPENTUNNEL_CLIENT_HOME", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveSignIn_NewDirectory_Directory0700File0600AndReadsBack()
    {
        using var temporary = new TemporaryDirectory();
        var state = new ClientStateDirectory(Path.Combine(temporary.Path, "nested", "state"));
        var signIn = new SignInState(new Uri("https://mgmt.example/"), "https://mgmt.example/", "https://mgmt.example/connect/token", "rt", "openid opentunnel.device", DateTimeOffset.UnixEpoch);

        state.SaveSignIn(signIn);

        Assert.Equal(OwnerOnlyFiles.DirectoryMode, File.GetUnixFileMode(state.Path));
        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(state.SignInFile));
        Assert.Equal(signIn, state.LoadSignIn());
        Assert.True(state.LoadSignIn().Grants("opentunnel.device"));
        Assert.False(state.LoadSignIn().Grants("opentunnel.gateway"));
    }

    [Fact]
    public void SaveDevice_ExistingLooseDirectory_TightensItTo0700()
    {
        using var temporary = new TemporaryDirectory();
        File.SetUnixFileMode(temporary.Path, (UnixFileMode)0b111_101_101);
        var state = new ClientStateDirectory(temporary.Path);

        state.SaveDevice(new EnrolledDevice(Guid.NewGuid(), "laptop", new Uri("https://m/"), "https://m/", DateTimeOffset.UnixEpoch, "Compliant"));

        Assert.Equal(OwnerOnlyFiles.DirectoryMode, File.GetUnixFileMode(temporary.Path));
        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(state.DeviceFile));
    }

    [Fact]
    public void LoadDeviceKey_Create_WritesP256Key0600AndLoadsTheSameKeyAgain()
    {
        using var temporary = new TemporaryDirectory();
        var state = new ClientStateDirectory(temporary.Path);

        using ECDsa created = state.LoadDeviceKey(create: true);
        using ECDsa loaded = state.LoadDeviceKey();

        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(state.DeviceKeyFile));
        Assert.Equal(256, loaded.KeySize);
        Assert.Equal(created.ExportSubjectPublicKeyInfo(), loaded.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void LoadDeviceKey_Missing_ThrowsSayingEnrolAgain()
    {
        using var temporary = new TemporaryDirectory();

        var e = Assert.Throws<ClientStateException>(() => new ClientStateDirectory(temporary.Path).LoadDeviceKey());

        Assert.Contains("device-key.pem is missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadSignIn_BrokenFile_ThrowsNamingTheFile()
    {
        using var temporary = new TemporaryDirectory();
        var state = new ClientStateDirectory(temporary.Path);
        File.WriteAllText(state.SignInFile, "{ not json");

        var e = Assert.Throws<ClientStateException>(state.LoadSignIn);

        Assert.Contains(state.SignInFile + " cannot be read", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadSignIn_Missing_ThrowsSayingSignIn()
    {
        using var temporary = new TemporaryDirectory();

        var e = Assert.Throws<ClientStateException>(new ClientStateDirectory(temporary.Path).LoadSignIn);

        Assert.Contains("opentunnel signin --server URL", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteSecret_ExistingWorldReadableFile_Replaced0600()
    {
        using var temporary = new TemporaryDirectory();
        string file = temporary.File("token");
        File.WriteAllText(file, "old");
        File.SetUnixFileMode(file, (UnixFileMode)0b110_100_100);

        ClientStateDirectory.WriteSecret(file, "new");

        Assert.Equal("new", File.ReadAllText(file));
        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(file));
    }
}
