using System.Diagnostics.Metrics;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Metrics;

/// <summary>
/// The gateway's instruments, OpenTelemetry-style names under <see cref="MeterName"/>. The data
/// path only bumps <see cref="PacketCounters"/>; the observable instruments read them when the
/// exporter is scraped, so no measurement is recorded per packet. The meter comes from the
/// host's <see cref="IMeterFactory"/>, which owns and disposes it: each gateway host has its own
/// factory, so two gateways in one process (as in the tests) have two meters that do not mix.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "OpenTunnel.Gateway";

    /// <summary>The handshake histogram's buckets in seconds, from a millisecond on a LAN to the 10 s a client on a bad link may take.</summary>
    private static readonly double[] HandshakeBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly Counter<long> _signIns;
    private readonly Histogram<double> _handshakeDuration;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _preAuthClosed;
    private readonly Counter<long> _bans;
    private readonly Counter<long> _redirects;

    public GatewayMetrics(IMeterFactory meters, SessionTable sessions, PacketCounters counters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        _signIns = _meter.CreateCounter<long>("opentunnel.gateway.sign_ins", description: "Sign-ins by result and the check that refused them");
        _refused = _meter.CreateCounter<long>("opentunnel.gateway.connections.refused", description: "Connections closed at accept, before the TLS handshake, by reason (banned, address_limit, pre_auth_full)");
        _preAuthClosed = _meter.CreateCounter<long>("opentunnel.gateway.connections.pre_auth_closed", description: "Connections closed before sign-in by the gateway, by reason (deadline, evicted)");
        _redirects = _meter.CreateCounter<long>("opentunnel.gateway.sign_ins.redirected", description: "New sign-ins answered with a redirect to a peer of the site, by reason (load, draining)");
        _bans = _meter.CreateCounter<long>("opentunnel.gateway.bans", description: "Client addresses banned for their ban score");
        _handshakeDuration = _meter.CreateHistogram("opentunnel.gateway.tls_handshake.duration", unit: "s", description: "TLS handshake duration", tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HandshakeBuckets });
        _meter.CreateObservableGauge("opentunnel.gateway.sessions.active", () => sessions.Count, description: "Sessions in the session table (connected or waiting for a reconnect)");
        _meter.CreateObservableGauge("opentunnel.gateway.sessions.connected", () => ConnectedByChannel(sessions), description: "Connected sessions by the channel their packets to the client take (tls or dtls)");
        _meter.CreateObservableCounter("opentunnel.gateway.bytes", () => new[]
        {
            new Measurement<long>(counters.BytesFromClients, new KeyValuePair<string, object?>("direction", "from_client")),
            new Measurement<long>(counters.BytesToClients, new KeyValuePair<string, object?>("direction", "to_client")),
        }, unit: "By", description: "IP bytes through the tunnels");
        _meter.CreateObservableCounter("opentunnel.gateway.packets", () => new[]
        {
            new Measurement<long>(counters.PacketsFromClients, new KeyValuePair<string, object?>("direction", "from_client")),
            new Measurement<long>(counters.PacketsToClients, new KeyValuePair<string, object?>("direction", "to_client")),
        }, description: "IP packets through the tunnels");
        _meter.CreateObservableCounter("opentunnel.gateway.packets.dropped", () => DropMeasurements(counters), description: "Packets dropped, by reason");
    }

    /// <summary>The gateway's one meter: other parts (DTLS) add their instruments to it; the factory disposes it.</summary>
    public Meter Meter => _meter;

    /// <summary>Counts a sign-in: result "success" or "refused", reason the check that refused it (or "none").</summary>
    public void SignIn(string result, string reason) =>
        _signIns.Add(1, new KeyValuePair<string, object?>("result", result), new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Counts a connection closed at accept: reason banned, address_limit or pre_auth_full.</summary>
    public void ConnectionRefused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Counts a connection the gateway closed before sign-in: reason deadline or evicted.</summary>
    public void PreAuthClosed(string reason) => _preAuthClosed.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Counts a new sign-in sent to a peer of the site: reason load or draining.</summary>
    public void SignInRedirected(string reason) => _redirects.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Banned() => _bans.Add(1);

    /// <summary>Adds the gauge of the server certificate's end of validity, in seconds since 1970 (as Prometheus' own certificate probes give it).</summary>
    public void ObserveCertificate(Func<DateTimeOffset> notAfter) =>
        _meter.CreateObservableGauge("opentunnel.gateway.tls.certificate.not_after", () => notAfter().ToUnixTimeSeconds(), unit: "s",
            description: "End of validity of the TLS certificate in force, in seconds since 1970-01-01");

    /// <summary>Adds the gauges of pre-authentication connections and of banned clients.</summary>
    public void ObservePreAuth(Func<int> connections, Func<int> banned)
    {
        _meter.CreateObservableGauge("opentunnel.gateway.connections.pre_auth", connections, description: "Connections holding a pre-authentication slot (not signed in, no valid cookie yet)");
        _meter.CreateObservableGauge("opentunnel.gateway.bans.active", banned, description: "Client addresses banned now");
    }

    public void HandshakeCompleted(TimeSpan duration) => _handshakeDuration.Record(duration.TotalSeconds);

    private static Measurement<int>[] ConnectedByChannel(SessionTable sessions)
    {
        int tls = 0;
        int dtls = 0;
        foreach (var session in sessions.Snapshot())
        {
            if (session.Connection is null)
            {
                continue;
            }

            if (session.DataPath.Sink is DtlsPacketSink)
            {
                dtls++;
            }
            else
            {
                tls++;
            }
        }

        return
        [
            new Measurement<int>(tls, new KeyValuePair<string, object?>("channel", "tls")),
            new Measurement<int>(dtls, new KeyValuePair<string, object?>("channel", "dtls")),
        ];
    }

    private static Measurement<long>[] DropMeasurements(PacketCounters counters)
    {
        var reasons = Enum.GetValues<DropReason>();
        var measurements = new Measurement<long>[reasons.Length];
        for (int i = 0; i < reasons.Length; i++)
        {
            measurements[i] = new Measurement<long>(counters.Drops(reasons[i]), new KeyValuePair<string, object?>("reason", MetricLabel.Of(reasons[i])));
        }

        return measurements;
    }
}
