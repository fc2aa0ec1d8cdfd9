using System.Net;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.SignIn;

namespace OpenTunnel.Gateway.Connections;

/// <summary>
/// What an accepted TCP connection passes before the gateway spends a TLS handshake on it: its
/// client must not be banned (<see cref="BanList"/>) and must get a slot of the
/// <see cref="PreAuthBudget"/>. A refused connection is closed at once, counted by reason, and
/// logged at most once per <see cref="LogInterval"/> per reason (with the number left unlogged),
/// so a flood costs neither TLS work nor a log line per connection.
/// </summary>
internal sealed class PreAuthGate
{
    /// <summary>At most one refusal line per reason in this interval.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly BanList _bans;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Throttle[] _throttles = [new("banned"), new("address_limit"), new("pre_auth_full")];

    public PreAuthGate(PreAuthBudget budget, BanList bans, GatewayMetrics metrics, TimeProvider time, ILogger logger)
    {
        Budget = budget;
        _bans = bans;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public PreAuthBudget Budget { get; }

    /// <summary>A slot for a connection from <paramref name="client"/>, or null (after counting and maybe logging why not).</summary>
    public PreAuthTicket? TryAdmit(IPAddress client, LimitOptions limits)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(limits);
        if (_bans.IsBanned(client))
        {
            Refused(_throttles[0], client);
            return null;
        }

        switch (Budget.TryEnter(ClientAddressKey.From(client), limits.MaxPreAuthConnections, limits.MaxPreAuthPerAddress, out PreAuthTicket? ticket))
        {
            case PreAuthAdmission.Admitted:
                return ticket;
            case PreAuthAdmission.AddressFull:
                Refused(_throttles[1], client);
                return null;
            default:
                Refused(_throttles[2], client);
                return null;
        }
    }

    private void Refused(Throttle throttle, IPAddress client)
    {
        _metrics.ConnectionRefused(throttle.Reason);
        long now = _time.GetTimestamp();
        long suppressed;
        lock (throttle)
        {
            if (throttle.LoggedAt != 0 && _time.GetElapsedTime(throttle.LoggedAt, now) < LogInterval)
            {
                throttle.Suppressed++;
                return;
            }

            suppressed = throttle.Suppressed;
            throttle.Suppressed = 0;
            throttle.LoggedAt = now;
        }

        GatewayLog.ConnectionRefused(_logger, client, throttle.Reason, suppressed, (int)LogInterval.TotalSeconds);
    }

    private sealed class Throttle(string reason)
    {
        public string Reason { get; } = reason;

        public long LoggedAt { get; set; }

        public long Suppressed { get; set; }
    }
}
