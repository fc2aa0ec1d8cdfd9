using System.Diagnostics.Metrics;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Telemetry;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// The agent's meter (OpenTelemetry names; Prometheus shows dots as underscores and counters with
/// <c>_total</c>): polls of the management service by result, configurations applied to the
/// gateway by result, the telemetry samples and access records waiting to be sent, and the access
/// records the queue dropped because it was full.
/// </summary>
public sealed class AgentMetrics
{
    public const string MeterName = "OpenTunnel.Agent";

    private readonly Counter<long> _polls;
    private readonly Counter<long> _applies;

    public AgentMetrics(IMeterFactory meters, DurableQueue<TelemetrySample> queue, DurableQueue<AccessRecord> accessLog)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(queue);
        Meter meter = meters.Create(MeterName);
        _polls = meter.CreateCounter<long>("opentunnel.agent.polls", "{poll}", "Polls of the management service, by result: changed (configuration, drain or commands came), unchanged, failed.");
        _applies = meter.CreateCounter<long>("opentunnel.agent.configuration.applies", "{configuration}", "Configurations applied to the gateway, by result: applied or refused.");
        ArgumentNullException.ThrowIfNull(accessLog);
        meter.CreateObservableGauge("opentunnel.agent.telemetry.queue.depth", () => queue.Count, "{sample}", "Telemetry samples kept on disk, waiting to be sent.");
        meter.CreateObservableGauge("opentunnel.agent.access_log.queue.depth", () => accessLog.Count, "{record}", "Access records (ended sessions) kept on disk, waiting to be sent.");
        meter.CreateObservableCounter("opentunnel.agent.access_log.dropped", () => accessLog.Dropped, "{record}", "Access records dropped because the queue was full, since the agent started.");
    }

    public void Polled(string result) => _polls.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Applied(bool applied) => _applies.Add(1, new KeyValuePair<string, object?>("result", applied ? "applied" : "refused"));
}
