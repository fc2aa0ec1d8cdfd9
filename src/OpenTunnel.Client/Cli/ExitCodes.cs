namespace OpenTunnel.Client.Cli;

/// <summary>The exit codes of <c>opentunnel</c> (docs/client.md); <c>connect</c> and <c>run</c> pass their program's own through once it runs.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The identity provider or the management service could not be reached, or answered something unexpected.</summary>
    public const int ServiceFailed = 1;

    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;

    /// <summary>A step is missing first: not signed in, not enrolled, or a sign-in without the scope the verb needs.</summary>
    public const int NotReady = 3;

    /// <summary>The provider refused: access denied (conditional access, a denied sign-in), an expired code or sign-in.</summary>
    public const int Refused = 4;

    /// <summary>SIGINT or SIGTERM ended a verb before it finished (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    /// <summary>The program to run is not installed: openconnect for <c>connect</c>, the command of <c>run</c> (127, as shells report it).</summary>
    public const int ProgramMissing = 127;
}
