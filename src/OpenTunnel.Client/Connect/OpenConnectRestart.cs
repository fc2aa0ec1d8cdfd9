namespace OpenTunnel.Client.Connect;

/// <summary>
/// When <c>connect</c> signs in again and starts openconnect again after it ended on its own
/// (pure code). Behind a load balancer a site has several gateways; when the one holding the
/// session stops (drained for maintenance, or gone), openconnect 9.01 either hears TERMINATE
/// ("Session terminated by server", exit 1) or reconnects through the balancer with its cookie to
/// another gateway, which does not know the cookie and refuses it ("Cookie was rejected by server",
/// exit 2). Stock openconnect stops there; a new sign-in with the token reaches a gateway that
/// takes it. Exit 0 is the user's own stop (SIGINT or SIGTERM passed on) and is never restarted.
/// A run shorter than <see cref="ConnectedRun"/> counts as a failure to connect (a refused sign-in,
/// a revoked user, no gateway answering); after <see cref="MaxQuickFailures"/> of them in a row the
/// client gives up with openconnect's exit code. For an always-on profile
/// (<c>always-on run</c>) nothing but the user's stop ends the tries: every other exit is restarted,
/// after short runs with a pause that doubles up to <see cref="MaxPause"/>.
/// </summary>
public sealed class OpenConnectRestart(bool alwaysOn = false)
{
    /// <summary>openconnect's exit code when the server ended the session (TERMINATE) or another failure ended it.</summary>
    public const int SessionEnded = 1;

    /// <summary>openconnect's exit code when the gateway refused its session cookie at a reconnect.</summary>
    public const int CookieRefused = 2;

    /// <summary>Consecutive short runs after which the client stops trying.</summary>
    public const int MaxQuickFailures = 3;

    /// <summary>A run at least this long was connected: its end starts the count of short runs again.</summary>
    public static readonly TimeSpan ConnectedRun = TimeSpan.FromSeconds(10);

    /// <summary>The longest pause between two tries of an always-on profile.</summary>
    public static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(60);

    private int _quickFailures;

    /// <summary>Consecutive short runs so far (the always-on loop says which try it is).</summary>
    public int QuickFailures => _quickFailures;

    /// <summary>
    /// Whether to sign in again and start openconnect again after it ended with
    /// <paramref name="exitCode"/> having run for <paramref name="ranFor"/>, and after what pause
    /// (none after a connected run; 1, 2, 4 s after short ones; always-on: up to 60 s, never giving up).
    /// </summary>
    public bool ShouldRestart(int exitCode, TimeSpan ranFor, out TimeSpan pause)
    {
        pause = TimeSpan.Zero;
        if (exitCode == 0 || (!alwaysOn && exitCode is not (SessionEnded or CookieRefused)))
        {
            return false;
        }

        if (ranFor >= ConnectedRun)
        {
            _quickFailures = 0;
            return true;
        }

        _quickFailures++;
        if (!alwaysOn && _quickFailures >= MaxQuickFailures)
        {
            return false;
        }

        pause = NextPause();
        return true;
    }

    /// <summary>A failed try that ran nothing (no token could be got): counted as a short run; the pause before the next.</summary>
    public TimeSpan Failed()
    {
        _quickFailures++;
        return NextPause();
    }

    private TimeSpan NextPause() => TimeSpan.FromSeconds(Math.Min(MaxPause.TotalSeconds, 1 << Math.Min(_quickFailures - 1, 6)));

    /// <summary>The line the client prints before it starts again.</summary>
    public static string Describe(int exitCode) => exitCode == CookieRefused
        ? "the gateway refused the session's cookie (another gateway of the site took the reconnect)"
        : exitCode == SessionEnded
            ? "the session ended or could not start (the gateway stopped or ended it, or the sign-in failed)"
            : "openconnect failed";
}
