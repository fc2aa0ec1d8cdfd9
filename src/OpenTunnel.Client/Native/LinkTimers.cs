namespace OpenTunnel.Client.Native;

/// <summary>What the link needs now to stay alive and be known alive.</summary>
public enum LinkAction
{
    None,

    /// <summary>Nothing was sent for the keepalive interval: send KEEPALIVE so that NAT and the gateway's idle timer see traffic.</summary>
    SendKeepalive,

    /// <summary>Nothing was received for the DPD interval: probe the gateway with DPD-REQ.</summary>
    SendDpd,

    /// <summary>Nothing was received for twice the DPD interval: the gateway or the path is gone.</summary>
    PeerDead,
}

/// <summary>
/// The keepalive and dead-peer timers of one channel, as openconnect runs them (cstp.c
/// <c>cstp_mainloop</c> → <c>keepalive_action</c> in ssl.c): a DPD request after <c>dpd</c>
/// seconds without anything received, the peer dead after twice that, a keepalive after
/// <c>keepalive</c> seconds without anything sent. Pure: the caller passes the clock. The reader,
/// the writer and the timer call it from their own threads; each field is one 64-bit word.
/// </summary>
public sealed class LinkTimers(TimeSpan dpd, TimeSpan keepalive, TimeSpan now)
{
    private TimeSpan _lastReceived = now;
    private TimeSpan _lastSent = now;
    private TimeSpan _lastDpd = now;

    public TimeSpan Dpd { get; } = dpd;

    public TimeSpan Keepalive { get; } = keepalive;

    public void Received(TimeSpan now) => _lastReceived = now;

    public void Sent(TimeSpan now) => _lastSent = now;

    /// <summary>The action due at <paramref name="now"/>; a DPD or keepalive it returns counts as sent.</summary>
    public LinkAction Next(TimeSpan now)
    {
        if (Dpd > TimeSpan.Zero)
        {
            if (now - _lastReceived >= 2 * Dpd)
            {
                return LinkAction.PeerDead;
            }

            if (now - _lastReceived >= Dpd && now - _lastDpd >= Dpd)
            {
                _lastDpd = now;
                _lastSent = now;
                return LinkAction.SendDpd;
            }
        }

        if (Keepalive > TimeSpan.Zero && now - _lastSent >= Keepalive)
        {
            _lastSent = now;
            return LinkAction.SendKeepalive;
        }

        return LinkAction.None;
    }

    /// <summary>How long until <see cref="Next"/> may have something to do.</summary>
    public TimeSpan Wait(TimeSpan now)
    {
        TimeSpan wait = TimeSpan.FromSeconds(1);
        if (Dpd > TimeSpan.Zero)
        {
            TimeSpan due = now - _lastReceived < Dpd ? _lastReceived + Dpd : Min(_lastReceived + (2 * Dpd), _lastDpd + Dpd);
            wait = Min(wait, due - now);
        }

        if (Keepalive > TimeSpan.Zero)
        {
            wait = Min(wait, _lastSent + Keepalive - now);
        }

        return wait < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : wait;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
