using System.Globalization;
using OpenTunnel.Gateway.Configuration;

namespace OpenTunnel.Gateway.SignIn;

/// <summary>Where a new sign-in goes: to <see cref="Peer"/> (host:port) for <see cref="Reason"/> (load or draining), or null: served here.</summary>
public sealed record SignInRedirect(string Peer, string Reason, string Detail);

/// <summary>
/// Decides whether the first request of a new sign-in is answered with a redirect to a peer of
/// the site (<see cref="LoadBalancingOptions"/>). Pure: the caller gives what it knows of the
/// request and of this gateway; nothing here reads a clock or a table.
/// <list type="bullet">
/// <item>Never a request that carries a session cookie (a reconnect, a logout) or one already redirected (the loop guard).</item>
/// <item>Only to a peer that is healthy, not draining, and whose figures are at most LoadBalancing:StaleSeconds old.</item>
/// <item>A draining gateway sends every new sign-in to the least-loaded such peer; with none it serves the request (and refuses the sign-in as a drain does).</item>
/// <item>Otherwise only when this gateway holds at least LoadBalancing:ThresholdPercent more sessions than that peer, and at least one more.</item>
/// </list>
/// </summary>
public static class SignInRedirectPolicy
{
    /// <summary>The query parameter a redirect adds to the URL, so that the peer never redirects the request again.</summary>
    public const string MarkerParameter = "ot-redirected";

    public static SignInRedirect? Decide(LoadBalancingOptions options, int ownSessions, bool draining, bool carriesSessionCookie, bool alreadyRedirected, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Mode != LoadBalancingMode.Redirect || carriesSessionCookie || alreadyRedirected)
        {
            return null;
        }

        PeerOptions? target = LeastLoaded(options, now);
        if (target is null)
        {
            return null;
        }

        if (draining)
        {
            return new SignInRedirect(target.Address, "draining", "this gateway is draining");
        }

        // ownSessions >= peer × (1 + threshold/100), in integers: no rounding at the edge.
        long own = ownSessions;
        long peer = target.Sessions;
        if (own <= peer || own * 100 < peer * (100 + options.ThresholdPercent))
        {
            return null;
        }

        return new SignInRedirect(target.Address, "load", string.Create(CultureInfo.InvariantCulture,
            $"this gateway holds {ownSessions} sessions, {target.Address} holds {target.Sessions} (LoadBalancing:ThresholdPercent {options.ThresholdPercent})"));
    }

    /// <summary>The peer a redirect would go to: the eligible one with the fewest sessions, then the least CPU, then the lowest address; null when none is eligible.</summary>
    public static PeerOptions? LeastLoaded(LoadBalancingOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        PeerOptions? best = null;
        foreach (PeerOptions peer in options.Peers)
        {
            if (!IsEligible(peer, options.StaleSeconds, now))
            {
                continue;
            }

            if (best is null || Compare(peer, best) < 0)
            {
                best = peer;
            }
        }

        return best;
    }

    /// <summary>Healthy, not draining, and reported within <paramref name="staleSeconds"/> of <paramref name="now"/>.</summary>
    public static bool IsEligible(PeerOptions peer, int staleSeconds, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return peer.Healthy && !peer.Draining && peer.ReportedAt is { } at && now - at <= TimeSpan.FromSeconds(staleSeconds);
    }

    /// <summary>The redirect's URL: https://PEER, the request's target, and the marker parameter.</summary>
    public static string Location(string peer, string target)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(target);
        string path = target.StartsWith('/') ? target : "/" + target;
        return $"https://{peer}{path}{(path.Contains('?', StringComparison.Ordinal) ? '&' : '?')}{MarkerParameter}=1";
    }

    /// <summary>Whether a request target carries the marker parameter of an earlier redirect.</summary>
    public static bool IsRedirected(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        int query = target.IndexOf('?', StringComparison.Ordinal);
        if (query < 0)
        {
            return false;
        }

        foreach (string parameter in target[(query + 1)..].Split('&'))
        {
            if (parameter == MarkerParameter || parameter.StartsWith(MarkerParameter + "=", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static int Compare(PeerOptions a, PeerOptions b)
    {
        int bySessions = a.Sessions.CompareTo(b.Sessions);
        if (bySessions != 0)
        {
            return bySessions;
        }

        int byCpu = (a.CpuPercent ?? 100).CompareTo(b.CpuPercent ?? 100);
        return byCpu != 0 ? byCpu : string.CompareOrdinal(a.Address, b.Address);
    }
}
