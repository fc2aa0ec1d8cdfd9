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
/// A verb's command line as System.CommandLine parsed it: the verb, its options given (by name
/// without the leading dashes; a switch such as --json is present or not), its one positional
/// argument when the verb takes one (<c>connect PROFILE</c>), and what follows "--".
/// </summary>
public sealed record ClientArguments(string Verb, IReadOnlyDictionary<string, string> Options, IReadOnlyList<string> Extra, string? Positional = null)
{
    public string? this[string option] => Options.GetValueOrDefault(option);

    /// <summary>Whether a switch (an option without a value, such as --json) was given.</summary>
    public bool Has(string option) => Options.ContainsKey(option);

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
