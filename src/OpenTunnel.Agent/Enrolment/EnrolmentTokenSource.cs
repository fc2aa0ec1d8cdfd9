namespace OpenTunnel.Agent.Enrolment;

/// <summary>
/// Where the one-time enrolment token comes from. Never the command line (every local user can
/// read a process's arguments in /proc), and never a setting (settings files are often readable
/// by all): a file (<c>--token-file FILE</c>), standard input (<c>--token-file -</c>), or the
/// environment variable <see cref="EnvironmentVariable"/>, in that order.
/// </summary>
public static class EnrolmentTokenSource
{
    public const string EnvironmentVariable = "OPENTUNNEL_ENROL_TOKEN";

    /// <summary>The <c>--token-file</c> value that means standard input.</summary>
    public const string StandardInput = "-";

    public const string Missing =
        "Enrolment needs the site's one-time token: --token-file FILE, --token-file - (standard input) or the environment variable " + EnvironmentVariable + ".";

    /// <summary>
    /// The token from <paramref name="tokenFile"/> (its first line; "-" reads a line of
    /// <paramref name="standardInput"/>), else from <see cref="EnvironmentVariable"/>; null when
    /// neither gives one. A file readable by others is used but <paramref name="notice"/> says so.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file cannot be read or holds no token.</exception>
    public static string? Read(string? tokenFile, TextReader standardInput, Func<string, string?> environment, TextWriter notice)
    {
        ArgumentNullException.ThrowIfNull(standardInput);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(notice);
        if (tokenFile is null)
        {
            return environment(EnvironmentVariable) is { } variable && !string.IsNullOrWhiteSpace(variable) ? Single(variable, EnvironmentVariable) : null;
        }

        if (tokenFile == StandardInput)
        {
            return Single(standardInput.ReadLine() ?? string.Empty, "standard input");
        }

        string path = Path.GetFullPath(tokenFile);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"The token file {path} cannot be read: {e.Message}", e);
        }

        if ((File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
        {
            notice.WriteLine($"Warning: the token file {path} is readable by other users (chmod 600 it, or delete it once enrolled).");
        }

        using var lines = new StringReader(text);
        return Single(lines.ReadLine() ?? string.Empty, path);
    }

    private static string Single(string line, string source)
    {
        string token = line.Trim();
        if (token.Length == 0)
        {
            throw new InvalidOperationException($"{source} holds no enrolment token.");
        }

        if (token.Any(char.IsWhiteSpace))
        {
            throw new InvalidOperationException($"{source} does not hold a single enrolment token (it has spaces in it).");
        }

        return token;
    }
}
