using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenTunnel.Management.Cli;

/// <summary>
/// The parsed command line: resource, verb, positional values and options. Options are
/// "--name value"; "--json" and "--dry-run" stand alone; "--set" may repeat.
/// </summary>
public sealed class CliArguments
{
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--json", "--help", "--dry-run" };

    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);

    private CliArguments(List<string> positional) => Positional = positional;

    public IReadOnlyList<string> Positional { get; }

    public bool Json => _options.ContainsKey("--json");

    public static CliArguments Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var positional = new List<string>();
        var parsed = new CliArguments(positional);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(arg);
                continue;
            }

            string value = string.Empty;
            if (!Flags.Contains(arg))
            {
                if (i + 1 >= args.Count)
                {
                    throw new CliUsageException($"{arg} needs a value.");
                }

                value = args[++i];
            }

            if (!parsed._options.TryGetValue(arg, out List<string>? values))
            {
                values = [];
                parsed._options.Add(arg, values);
            }

            values.Add(value);
        }

        return parsed;
    }

    public string? Option(string name) => _options.TryGetValue(name, out List<string>? values) ? values[^1] : null;

    public IReadOnlyList<string> All(string name) => _options.TryGetValue(name, out List<string>? values) ? values : [];

    /// <summary>Options other than the CLI's own, given as list filters (e.g. --site-id X → siteId=X).</summary>
    public IEnumerable<KeyValuePair<string, string>> Filters(IReadOnlySet<string> own)
    {
        foreach ((string name, List<string> values) in _options)
        {
            if (!own.Contains(name))
            {
                yield return new KeyValuePair<string, string>(CamelCase(name[2..]), values[^1]);
            }
        }
    }

    /// <summary>
    /// Applies "--set path=value" to <paramref name="body"/>: the value is JSON when it reads as
    /// JSON (numbers, true, ["a"], {"k":1}), else a string; "path[]=a,b" makes a list of strings;
    /// dots in the path reach into objects (maintenanceWindow.start=22:00:00).
    /// </summary>
    public static void ApplySet(JsonObject body, string assignment)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(assignment);
        int equals = assignment.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new CliUsageException($"--set '{assignment}' is not name=value.");
        }

        string path = assignment[..equals];
        string text = assignment[(equals + 1)..];
        JsonNode? value;
        if (path.EndsWith("[]", StringComparison.Ordinal))
        {
            path = path[..^2];
            var list = new JsonArray();
            foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                list.Add(item);
            }

            value = list;
        }
        else
        {
            value = ParseValue(text);
        }

        string[] parts = path.Split('.');
        JsonObject target = body;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (target[parts[i]] is not JsonObject child)
            {
                child = [];
                target[parts[i]] = child;
            }

            target = child;
        }

        target[parts[^1]] = value;
    }

    private static JsonNode? ParseValue(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    private static string CamelCase(string kebab)
    {
        string[] words = kebab.Split('-', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 1; i < words.Length; i++)
        {
            words[i] = char.ToUpperInvariant(words[i][0]) + words[i][1..];
        }

        return string.Concat(words);
    }
}

/// <summary>The command line is wrong; the message says how.</summary>
public sealed class CliUsageException : Exception
{
    public CliUsageException(string message)
        : base(message)
    {
    }

    public CliUsageException()
    {
    }

    public CliUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
