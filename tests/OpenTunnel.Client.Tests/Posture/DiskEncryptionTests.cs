using OpenTunnel.Client.Posture;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.Posture;

[Trait("Category", "Unit")]
public sealed class DiskEncryptionTests
{
    private static readonly Mount Root = new(253, 1, "/", "ext4", "/dev/mapper/vg-root");

    [Fact]
    public void Evaluate_RootOnLuksMapping_Encrypted()
    {
        var devices = new BlockTree { ["253:1"] = ("CRYPT-LUKS2-4b1f0e4c9a8d4e2b-root", []) };

        PostureFinding finding = DiskEncryption.Evaluate(Root, devices);

        Assert.True(finding.Value, finding.Evidence);
        Assert.Contains("LUKS2", finding.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_LvmOnLuks_FollowsSlavesToTheCryptDevice()
    {
        var devices = new BlockTree
        {
            ["253:1"] = ("LVM-Hq8dV4kz", ["dm-0"]),
            ["dm-0"] = ("CRYPT-LUKS2-0c1d-sda3_crypt", ["sda3"]),
            ["sda3"] = (null, []),
        };

        Assert.True(DiskEncryption.Evaluate(Root, devices).Value);
    }

    [Fact]
    public void Evaluate_PlainLvm_NotEncrypted()
    {
        var devices = new BlockTree { ["253:1"] = ("LVM-Hq8dV4kz", ["sda3"]), ["sda3"] = (null, []) };

        PostureFinding finding = DiskEncryption.Evaluate(Root, devices);

        Assert.False(finding.Value);
        Assert.Contains("not on a dm-crypt device", finding.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_SlavesLoop_EndsNotEncrypted()
    {
        var devices = new BlockTree { ["253:1"] = ("LVM-a", ["dm-2"]), ["dm-2"] = ("LVM-b", ["253:1"]) };

        Assert.False(DiskEncryption.Evaluate(Root, devices).Value);
    }

    [Fact]
    public void Evaluate_NoRootMount_Unknown()
    {
        PostureFinding finding = DiskEncryption.Evaluate(null, new BlockTree());

        Assert.Null(finding.Value);
        Assert.Equal("unknown", finding.Answer);
    }

    [Fact]
    public void Evaluate_RootNotOnAListedBlockDevice_UnknownNamingTheMount()
    {
        PostureFinding finding = DiskEncryption.Evaluate(new Mount(0, 31, "/", "overlay", "overlay"), new BlockTree());

        Assert.Null(finding.Value);
        Assert.Contains("overlay", finding.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void SysfsBlockDevices_SysfsLayout_ReadsUuidAndFollowsSlaveLinks()
    {
        using var sys = new TemporaryDirectory();
        string lv = Device(sys, "dm-1", "LVM-abc");
        string crypt = Device(sys, "dm-0", "CRYPT-LUKS2-1234-cryptroot");
        Directory.CreateDirectory(Path.Combine(sys.Path, "dev", "block"));
        Directory.CreateSymbolicLink(Path.Combine(sys.Path, "dev", "block", "253:1"), lv);
        Directory.CreateDirectory(Path.Combine(lv, "slaves"));
        Directory.CreateSymbolicLink(Path.Combine(lv, "slaves", "dm-0"), crypt);

        PostureFinding finding = DiskEncryption.Evaluate(Root, new SysfsBlockDevices(sys.Path));

        Assert.True(finding.Value, finding.Evidence);
        Assert.Contains("dm-0", finding.Evidence, StringComparison.Ordinal);
    }

    private static string Device(TemporaryDirectory sys, string name, string uuid)
    {
        string directory = Directory.CreateDirectory(Path.Combine(sys.Path, "class", "block", name, "dm")).Parent!.FullName;
        File.WriteAllText(Path.Combine(directory, "dm", "uuid"), uuid + "\n");
        return directory;
    }

    /// <summary>Block devices in memory, keyed by device number (the root) or name (slaves): the dm uuid and the slaves.</summary>
    private sealed class BlockTree : Dictionary<string, (string? Uuid, string[] Slaves)>, IBlockDevices
    {
        public string? DirectoryOf(Mount mount) => ContainsKey(mount.DeviceNumber) ? mount.DeviceNumber : null;

        public string? DeviceMapperUuid(string directory) => TryGetValue(directory, out var device) ? device.Uuid : null;

        public IReadOnlyList<string> Slaves(string directory) => TryGetValue(directory, out var device) ? device.Slaves : [];
    }
}
