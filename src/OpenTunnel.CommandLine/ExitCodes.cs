namespace OpenTunnel.CommandLine;

/// <summary>
/// The exit codes every OpenTunnel command line uses (docs/cli.md has the table). The numbers
/// above 1 follow sysexits(3), so scripts can tell a typo from an unreachable service.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The service was reached and refused or failed the request (an HTTP problem, a control command's error).</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: an unknown verb or option, a missing or mistyped value (EX_USAGE).</summary>
    public const int Usage = 64;

    /// <summary>An input file is wrong: not JSON, not the expected shape (EX_DATAERR).</summary>
    public const int DataError = 65;

    /// <summary>The service or control socket could not be reached (EX_UNAVAILABLE).</summary>
    public const int Unavailable = 69;

    /// <summary>The operating system refused a resource the tool needs, such as the TUN device (EX_OSERR).</summary>
    public const int OsError = 71;

    /// <summary>The credentials were refused: HTTP 401 or 403, a socket without permission (EX_NOPERM).</summary>
    public const int NoPermission = 77;

    /// <summary>The configuration is invalid or missing (EX_CONFIG).</summary>
    public const int Configuration = 78;

    /// <summary>SIGINT or SIGTERM ended the command before it finished (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
