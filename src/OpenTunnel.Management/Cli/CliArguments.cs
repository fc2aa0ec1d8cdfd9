using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenTunnel.Management.Cli;

/// <summary>The pieces of the command line System.CommandLine leaves to the CLI: list filters and --set assignments.</summary>
public static class CliArguments
{
    /// <summary>A list's other options as query filters: "--site-id X" is siteId=X; the last of a repeated name wins.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Filters(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var filters = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
        {
            string name = tokens[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length == 2)
            {
                throw new CliUsageException($"'{name}' is not an option of list; a filter is --NAME VALUE.");
            }

            if (i + 1 >= tokens.Count || tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new CliUsageException($"the filter {name} needs a value.");
            }

            filters[CamelCase(name[2..])] = tokens[++i];
        }

        return [.. filters];
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

/// <summary>An input file (--file) cannot be read or is not a JSON object.</summary>
public sealed class CliDataException : Exception
{
    public CliDataException(string message)
        : base(message)
    {
    }

    public CliDataException()
    {
    }

    public CliDataException(string message, Exception innerException)
        : base(message, innerException)
    {
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
