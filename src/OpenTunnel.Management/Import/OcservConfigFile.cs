namespace OpenTunnel.Management.Import;

/// <summary>One "key = value" line of an ocserv configuration file, with its 1-based line number.</summary>
public sealed record OcservSetting(int Line, string Key, string Value);

/// <summary>
/// Reads ocserv's configuration syntax (ocserv.conf(5), also used by its per-group and per-user
/// files): one "key = value" per line, "#" starts a comment line, a value may be in double quotes,
/// and a key may repeat (route, dns, no-route).
/// </summary>
public static class OcservConfigFile
{
    /// <summary>The settings in file order, and a problem for each line that is not "key = value".</summary>
    public static (List<OcservSetting> Settings, List<OcservNote> Problems) Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var settings = new List<OcservSetting>();
        var problems = new List<OcservNote>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                problems.Add(new OcservNote(i + 1, line, "is not 'key = value'."));
                continue;
            }

            string value = line[(equals + 1)..].Trim();
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
            {
                value = value[1..^1];
            }

            settings.Add(new OcservSetting(i + 1, line[..equals].Trim().ToLowerInvariant(), value));
        }

        return (settings, problems);
    }
}

/// <summary>A finding of the import, tied to the ocserv line it is about (line 0: the file as a whole).</summary>
public sealed record OcservNote(int Line, string Key, string Message)
{
    public override string ToString() => Line > 0 ? $"line {Line}: {Key}: {Message}" : $"{Key}: {Message}";
}
