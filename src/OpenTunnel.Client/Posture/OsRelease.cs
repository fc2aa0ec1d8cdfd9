namespace OpenTunnel.Client.Posture;

/// <summary>
/// The os-release file (os-release(5): /etc/os-release, else /usr/lib/os-release): shell-style
/// KEY=value lines, values optionally in single or double quotes with backslash escapes inside
/// double quotes; comments and blank lines ignored.
/// </summary>
public sealed class OsRelease
{
    private readonly Dictionary<string, string> _values;

    private OsRelease(Dictionary<string, string> values) => _values = values;

    /// <summary>NAME, e.g. "Debian GNU/Linux"; "Linux" when absent (os-release(5)'s default).</summary>
    public string Name => this["NAME"] ?? "Linux";

    /// <summary>VERSION_ID, e.g. "12"; null on rolling distributions that have none.</summary>
    public string? VersionId => this["VERSION_ID"];

    public string? PrettyName => this["PRETTY_NAME"];

    public string? this[string key] => _values.TryGetValue(key, out string? value) && value.Length > 0 ? value : null;

    public static OsRelease Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] == '#' || equals <= 0)
            {
                continue;
            }

            values[line[..equals]] = Unquote(line[(equals + 1)..]);
        }

        return new OsRelease(values);
    }

    /// <summary>
    /// The OS version the management service compares with a policy's minimum (dotted numbers):
    /// VERSION_ID, refined by Debian's point release from /etc/debian_version ("12" and "12.11"
    /// give "12.11") when that starts with the same major version.
    /// </summary>
    public string Version(string? debianVersion)
    {
        string version = VersionId ?? "unknown";
        string? point = debianVersion?.Trim();
        if (this["ID"] == "debian" && point is not null && point.StartsWith(version + ".", StringComparison.Ordinal) && IsDotted(point))
        {
            return point;
        }

        return version;
    }

    private static bool IsDotted(string text)
    {
        foreach (char c in text)
        {
            if (c is not ('.' or (>= '0' and <= '9')))
            {
                return false;
            }
        }

        return true;
    }

    private static string Unquote(string value)
    {
        if (value.Length >= 2 && value[0] == '\'' && value[^1] == '\'')
        {
            return value[1..^1];
        }

        if (value.Length < 2 || value[0] != '"' || value[^1] != '"')
        {
            return value;
        }

        var result = new System.Text.StringBuilder(value.Length);
        for (int i = 1; i < value.Length - 1; i++)
        {
            // os-release(5): inside double quotes, \ escapes $ " \ and `.
            if (value[i] == '\\' && i + 1 < value.Length - 1)
            {
                i++;
            }

            result.Append(value[i]);
        }

        return result.ToString();
    }
}
