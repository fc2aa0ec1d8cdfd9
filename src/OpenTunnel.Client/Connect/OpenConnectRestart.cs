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
/// client gives up with openconnect's exit code.
/// </summary>
public sealed class OpenConnectRestart
{
    /// <summary>openconnect's exit code when the server ended the session (TERMINATE) or another failure ended it.</summary>
    public const int SessionEnded = 1;

    /// <summary>openconnect's exit code when the gateway refused its session cookie at a reconnect.</summary>
    public const int CookieRefused = 2;

    /// <summary>Consecutive short runs after which the client stops trying.</summary>
    public const int MaxQuickFailures = 3;

    /// <summary>A run at least this long was connected: its end starts the count of short runs again.</summary>
    public static readonly TimeSpan ConnectedRun = TimeSpan.FromSeconds(10);

    private int _quickFailures;

    /// <summary>
    /// Whether to sign in again and start openconnect again after it ended with
    /// <paramref name="exitCode"/> having run for <paramref name="ranFor"/>, and after what pause
    /// (none after a connected run; 1, 2, 4 s after short ones).
    /// </summary>
    public bool ShouldRestart(int exitCode, TimeSpan ranFor, out TimeSpan pause)
    {
        pause = TimeSpan.Zero;
        if (exitCode is not (SessionEnded or CookieRefused))
        {
            return false;
        }

        if (ranFor >= ConnectedRun)
        {
            _quickFailures = 0;
            return true;
        }

        _quickFailures++;
        if (_quickFailures >= MaxQuickFailures)
        {
            return false;
        }

        pause = TimeSpan.FromSeconds(1 << (_quickFailures - 1));
        return true;
    }

    /// <summary>The line the client prints before it starts again.</summary>
    public static string Describe(int exitCode) => exitCode == CookieRefused
        ? "the gateway refused the session's cookie (another gateway of the site took the reconnect)"
        : "the session ended or could not start (the gateway stopped or ended it, or the sign-in failed)";
}
