using System.Diagnostics.Metrics;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Metrics;

/// <summary>
/// Publishes a listener's counters as OpenTelemetry-style instruments on the gateway's meter:
/// <c>opentunnel.gateway.dtls.handshakes</c> (tag <c>result</c>),
/// <c>opentunnel.gateway.dtls.dropped</c> (tag <c>reason</c>),
/// <c>opentunnel.gateway.dtls.hello_verify_requests</c>, <c>opentunnel.gateway.dtls.rebinds</c>,
/// <c>opentunnel.gateway.dtls.bytes</c> (tag <c>direction</c>) and
/// <c>opentunnel.gateway.dtls.channels.active</c>. Observable instruments read the counters
/// only when a collector asks, so the data path pays nothing for them.
/// </summary>
public static class DtlsMetrics
{
    private static readonly DtlsDropReason[] DropReasons = Enum.GetValues<DtlsDropReason>();
    private static readonly DtlsHandshakeResult[] HandshakeResults = Enum.GetValues<DtlsHandshakeResult>();

    /// <summary>Creates the instruments on <paramref name="meter"/> for <paramref name="listener"/>.</summary>
    public static void Register(Meter meter, DtlsListener listener)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(listener);
        var counters = listener.Counters;
        meter.CreateObservableCounter(
            "opentunnel.gateway.dtls.handshakes",
            () => Observe(HandshakeResults, "result", counters.Handshakes),
            unit: "{handshake}",
            description: "DTLS handshakes by result.");
        meter.CreateObservableCounter(
            "opentunnel.gateway.dtls.dropped",
            () => Observe(DropReasons, "reason", counters.Drops),
            unit: "{datagram}",
            description: "DTLS datagrams and records dropped, by reason.");
        meter.CreateObservableCounter(
            "opentunnel.gateway.dtls.hello_verify_requests",
            () => counters.HelloVerifyRequests,
            unit: "{datagram}",
            description: "ClientHellos answered with a cookie (HelloVerifyRequest).");
        meter.CreateObservableCounter(
            "opentunnel.gateway.dtls.rebinds",
            () => counters.Rebinds,
            unit: "{rebind}",
            description: "DTLS channels re-matched to a new client address (NAT rebinding).");
        meter.CreateObservableCounter(
            "opentunnel.gateway.dtls.bytes",
            () => new[]
            {
                new Measurement<long>(counters.Over(Transport.Dtls).BytesFromClient, new KeyValuePair<string, object?>("direction", "from_client")),
                new Measurement<long>(counters.Over(Transport.Dtls).BytesToClient, new KeyValuePair<string, object?>("direction", "to_client")),
            },
            unit: "By",
            description: "IP bytes through DTLS channels.");
        meter.CreateObservableUpDownCounter(
            "opentunnel.gateway.dtls.channels.active",
            () => listener.ActiveChannels,
            unit: "{channel}",
            description: "Established DTLS channels.");
    }

    private static IEnumerable<Measurement<long>> Observe<T>(T[] values, string tag, Func<T, long> read)
        where T : struct, Enum
    {
        foreach (var value in values)
        {
            yield return new Measurement<long>(read(value), new KeyValuePair<string, object?>(tag, MetricLabel.Of(value)));
        }
    }
}
