namespace OpenTunnel.Client.Cli;

/// <summary>A command line that is wrong; the message names the problem and is followed by the usage.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException()
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A parsed command line: the verb, its options (without the leading dashes), its one positional
/// argument when the verb takes one (<c>connect PROFILE</c>), and what follows "--".
/// </summary>
public sealed record ClientArguments(string Verb, IReadOnlyDictionary<string, string> Options, IReadOnlyList<string> Extra, string? Positional = null)
{
    /// <summary>Options that take no value; present means "yes".</summary>
    private static readonly string[] Switches = ["json"];

    /// <summary>The options each verb takes: required, optional, whether it passes arguments after "--" on, and its positional argument's name.</summary>
    private static readonly Dictionary<string, (string[] Required, string[] Optional, bool Extra, string? Positional)> Verbs = new(StringComparer.Ordinal)
    {
        ["signin"] = (["server"], ["site", "ca-pin", "ca-file"], false, null),
        ["enrol"] = ([], ["name"], false, null),
        ["posture"] = ([], ["every"], false, null),
        ["token"] = ([], ["site", "out"], false, null),
        ["connect"] = ([], ["gateway", "site", "servercert", "script", "token-file", "refresh-every"], true, "PROFILE"),
        ["profiles"] = ([], ["json"], false, null),
        ["status"] = ([], ["json"], false, null),
        ["run"] = (["profile"], [], true, null),
        ["help"] = ([], [], false, null),
    };

    public string? this[string option] => Options.GetValueOrDefault(option);

    /// <summary>Whether a switch (an option without a value, such as --json) was given.</summary>
    public bool Has(string option) => Options.ContainsKey(option);

    /// <summary>
    /// Parses <c>VERB [--option VALUE | --option=VALUE]... [-- EXTRA...]</c>; "enroll" is the same
    /// verb as "enrol". Throws <see cref="UsageException"/> naming the unknown verb, the unknown or
    /// repeated option, the option without a value, or the missing required option.
    /// </summary>
    public static ClientArguments Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count == 0 || args[0] is "--help" or "-h")
        {
            return new ClientArguments("help", new Dictionary<string, string>(), []);
        }

        string verb = args[0] == "enroll" ? "enrol" : args[0];
        if (!Verbs.TryGetValue(verb, out var spec))
        {
            throw new UsageException($"'{args[0]}' is not a verb of opentunnel.");
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var extra = new List<string>();
        string? positional = null;
        for (int i = 1; i < args.Count; i++)
        {
            string argument = args[i];
            if (argument == "--")
            {
                if (!spec.Extra)
                {
                    throw new UsageException($"'{verb}' takes no arguments after '--'.");
                }

                extra.AddRange(args.Skip(i + 1));
                break;
            }

            if (!argument.StartsWith("--", StringComparison.Ordinal) && spec.Positional is not null && positional is null)
            {
                positional = argument;
                continue;
            }

            if (!argument.StartsWith("--", StringComparison.Ordinal) || argument.Length == 2)
            {
                throw new UsageException($"'{argument}' is not an option of '{verb}' (options start with --).");
            }

            int equals = argument.IndexOf('=', StringComparison.Ordinal);
            string name = equals > 0 ? argument[2..equals] : argument[2..];
            if (Array.IndexOf(spec.Required, name) < 0 && Array.IndexOf(spec.Optional, name) < 0)
            {
                throw new UsageException($"'--{name}' is not an option of '{verb}'.");
            }

            string? value = Array.IndexOf(Switches, name) >= 0
                ? (equals > 0 ? throw new UsageException($"'--{name}' takes no value.") : "yes")
                : equals > 0 ? argument[(equals + 1)..] : i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new UsageException($"'--{name}' needs a value.");
            }

            if (!options.TryAdd(name, value))
            {
                throw new UsageException($"'--{name}' is given twice.");
            }
        }

        foreach (string required in spec.Required)
        {
            if (!options.ContainsKey(required))
            {
                throw new UsageException($"'{verb}' needs --{required}.");
            }
        }

        return new ClientArguments(verb, options, extra, positional);
    }

    /// <summary>An absolute http or https URL given as <paramref name="option"/>; the management service's URL ends with a slash, so relative paths resolve under it.</summary>
    public Uri Url(string option)
    {
        string text = this[option] ?? throw new UsageException($"'{Verb}' needs --{option}.");
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp) || url.Query.Length > 0)
        {
            throw new UsageException($"--{option} '{text}' is not an http or https URL (for example https://vpn.example.com/).");
        }

        return text.EndsWith('/') ? url : new Uri(text + "/");
    }

    /// <summary>A whole number of seconds between <paramref name="minimum"/> and <paramref name="maximum"/>, or null when the option is absent.</summary>
    public TimeSpan? Seconds(string option, int minimum, int maximum)
    {
        if (this[option] is not { } text)
        {
            return null;
        }

        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int seconds) || seconds < minimum || seconds > maximum)
        {
            throw new UsageException($"--{option} '{text}' must be a whole number of seconds from {minimum} to {maximum}.");
        }

        return TimeSpan.FromSeconds(seconds);
    }
}
