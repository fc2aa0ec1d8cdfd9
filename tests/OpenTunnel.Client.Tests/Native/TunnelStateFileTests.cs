using OpenTunnel.Client.Native;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.Native;

[Trait("Category", "Unit")]
public sealed class TunnelStateFileTests
{
    [Fact]
    public void SaveLoadUndo_ResolvConf_GetsItsExactBytesBack()
    {
        using var directory = new TemporaryDirectory();
        string resolvConf = directory.File("resolv.conf");
        byte[] original = [.. "# host's own\r\nnameserver 198.18.0.53\n"u8, 0xFF];
        File.WriteAllBytes(resolvConf, original);
        var file = new TunnelStateFile(directory.File("tunnel.json"));
        file.Save(new TunnelState { ProcessId = 4242, Gateway = "198.18.1.1", ResolvConfPath = resolvConf, ResolvConfOriginal = Convert.ToBase64String(original) });
        File.WriteAllText(resolvConf, "nameserver 198.18.2.53\n");

        TunnelState loaded = file.Load()!;
        TunnelStateFile.Undo(loaded);

        Assert.Equal(4242, loaded.ProcessId);
        Assert.Equal(original, File.ReadAllBytes(resolvConf));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file.Path));
    }

    [Fact]
    public void Load_NoFile_IsNull()
    {
        using var directory = new TemporaryDirectory();

        Assert.Null(new TunnelStateFile(directory.File("tunnel.json")).Load());
    }

    [Fact]
    public void Load_NotJson_SaysWhatToCheck()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("tunnel.json");
        File.WriteAllText(path, "{not json");

        var e = Assert.Throws<IOException>(() => new TunnelStateFile(path).Load());

        Assert.Contains("/etc/resolv.conf", e.Message, StringComparison.Ordinal);
    }
}
