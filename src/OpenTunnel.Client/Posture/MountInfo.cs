using System.Globalization;

namespace OpenTunnel.Client.Posture;

/// <summary>One mount of /proc/self/mountinfo: the device number (major:minor), file system type and source.</summary>
public sealed record Mount(int Major, int Minor, string MountPoint, string FileSystem, string Source)
{
    public string DeviceNumber => $"{Major.ToString(CultureInfo.InvariantCulture)}:{Minor.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Reads /proc/self/mountinfo (proc(5)): "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS",
/// with spaces, tabs, newlines and backslashes in paths written as octal escapes (\040).
/// </summary>
public static class MountInfo
{
    /// <summary>
    /// The mount that is visible at <paramref name="mountPoint"/>: the last line for it, because a
    /// later mount on the same point hides the earlier ones. Null when nothing is mounted there.
    /// </summary>
    public static Mount? Find(string text, string mountPoint)
    {
        ArgumentNullException.ThrowIfNull(text);
        Mount? found = null;
        foreach (string line in text.Split('\n'))
        {
            if (Parse(line) is { } mount && mount.MountPoint == mountPoint)
            {
                found = mount;
            }
        }

        return found;
    }

    /// <summary>One line, or null when it is not a mountinfo line.</summary>
    public static Mount? Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int separator = Array.IndexOf(fields, "-");
        if (fields.Length < 7 || separator < 6 || separator + 2 >= fields.Length)
        {
            return null;
        }

        string[] device = fields[2].Split(':');
        if (device.Length != 2
            || !int.TryParse(device[0], NumberStyles.None, CultureInfo.InvariantCulture, out int major)
            || !int.TryParse(device[1], NumberStyles.None, CultureInfo.InvariantCulture, out int minor))
        {
            return null;
        }

        return new Mount(major, minor, Unescape(fields[4]), fields[separator + 1], Unescape(fields[separator + 2]));
    }

    private static string Unescape(string path)
    {
        if (!path.Contains('\\', StringComparison.Ordinal))
        {
            return path;
        }

        var result = new System.Text.StringBuilder(path.Length);
        for (int i = 0; i < path.Length; i++)
        {
            if (path[i] == '\\' && i + 3 < path.Length && IsOctal(path[i + 1]) && IsOctal(path[i + 2]) && IsOctal(path[i + 3]))
            {
                result.Append((char)(((path[i + 1] - '0') * 64) + ((path[i + 2] - '0') * 8) + (path[i + 3] - '0')));
                i += 3;
            }
            else
            {
                result.Append(path[i]);
            }
        }

        return result.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
