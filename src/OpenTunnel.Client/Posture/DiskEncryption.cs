namespace OpenTunnel.Client.Posture;

/// <summary>The block devices the kernel lists in sysfs, as disk encryption needs them.</summary>
public interface IBlockDevices
{
    /// <summary>The sysfs directory of the device a mount sits on, or null when it is not a listed block device.</summary>
    string? DirectoryOf(Mount mount);

    /// <summary>The device-mapper uuid (dm/uuid) of the device, or null when it is not a device-mapper device.</summary>
    string? DeviceMapperUuid(string directory);

    /// <summary>The sysfs directories of the devices this one is built on (slaves/).</summary>
    IReadOnlyList<string> Slaves(string directory);
}

/// <summary>
/// Whether the root file system is encrypted: its block device is a dm-crypt mapping, or is built
/// on one (LVM on LUKS: the logical volume's slave is the dm-crypt device). cryptsetup names its
/// mappings' device-mapper uuids "CRYPT-&lt;type&gt;-…" (CRYPT-LUKS2-…, CRYPT-PLAIN-…), which is
/// what lsblk and udev read too. Hardware (self-encrypting) disks and file-level encryption
/// (fscrypt) do not show here and count as not encrypted.
/// </summary>
public static class DiskEncryption
{
    /// <summary>A stacking deeper than this is a loop in sysfs, not a real device tree.</summary>
    private const int MaximumDepth = 16;

    public static PostureFinding Evaluate(Mount? root, IBlockDevices devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        if (root is null)
        {
            return PostureFinding.Unknown("nothing is mounted on / in /proc/self/mountinfo");
        }

        string? top = devices.DirectoryOf(root);
        if (top is null)
        {
            return PostureFinding.Unknown($"the root file system ({root.FileSystem} from {root.Source}, device {root.DeviceNumber}) is not on a block device the kernel lists");
        }

        var pending = new Stack<(string Directory, int Depth)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        pending.Push((top, 0));
        while (pending.Count > 0)
        {
            (string directory, int depth) = pending.Pop();
            if (!seen.Add(directory) || depth > MaximumDepth)
            {
                continue;
            }

            string? uuid = devices.DeviceMapperUuid(directory);
            if (uuid is not null && uuid.StartsWith("CRYPT-", StringComparison.Ordinal))
            {
                string kind = uuid.Split('-')[1];
                return new PostureFinding(true, $"the root file system ({root.Source}) is on dm-crypt ({kind}) device {Path.GetFileName(directory)}");
            }

            foreach (string slave in devices.Slaves(directory))
            {
                pending.Push((slave, depth + 1));
            }
        }

        return new PostureFinding(false, $"the root file system ({root.Source}, device {root.DeviceNumber}) is not on a dm-crypt device");
    }
}

/// <summary>The real sysfs: /sys/dev/block/MAJ:MIN, /sys/class/block/NAME; device names under /dev resolved through their links.</summary>
public sealed class SysfsBlockDevices(string sysRoot = "/sys") : IBlockDevices
{
    public string? DirectoryOf(Mount mount)
    {
        ArgumentNullException.ThrowIfNull(mount);
        // Major 0 is an anonymous device (btrfs, overlay, tmpfs): the kernel gives btrfs one even
        // on a real disk, so fall back to the mount's source when it names a device node.
        if (mount.Major != 0)
        {
            string byNumber = Path.Combine(sysRoot, "dev", "block", mount.DeviceNumber);
            return Directory.Exists(byNumber) ? byNumber : null;
        }

        if (!mount.Source.StartsWith("/dev/", StringComparison.Ordinal) || !File.Exists(mount.Source))
        {
            return null;
        }

        string node = File.ResolveLinkTarget(mount.Source, returnFinalTarget: true)?.FullName ?? mount.Source;
        string byName = Path.Combine(sysRoot, "class", "block", Path.GetFileName(node));
        return Directory.Exists(byName) ? byName : null;
    }

    public string? DeviceMapperUuid(string directory)
    {
        string file = Path.Combine(directory, "dm", "uuid");
        return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
    }

    public IReadOnlyList<string> Slaves(string directory)
    {
        string slaves = Path.Combine(directory, "slaves");
        if (!Directory.Exists(slaves))
        {
            return [];
        }

        var result = new List<string>();
        foreach (string entry in Directory.EnumerateFileSystemEntries(slaves))
        {
            result.Add(Path.Combine(sysRoot, "class", "block", Path.GetFileName(entry)));
        }

        return result;
    }
}
