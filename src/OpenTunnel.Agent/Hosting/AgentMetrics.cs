using System.Diagnostics.Metrics;
using OpenTunnel.Agent.Telemetry;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// The agent's meter (OpenTelemetry names; Prometheus shows dots as underscores and counters with
/// <c>_total</c>): polls of the management service by result, configurations applied to the
/// gateway by result, and the telemetry samples waiting to be sent.
/// </summary>
public sealed class AgentMetrics
{
    public const string MeterName = "OpenTunnel.Agent";

    private readonly Counter<long> _polls;
    private readonly Counter<long> _applies;

    public AgentMetrics(IMeterFactory meters, TelemetryQueue queue)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(queue);
        Meter meter = meters.Create(MeterName);
        _polls = meter.CreateCounter<long>("opentunnel.agent.polls", "{poll}", "Polls of the management service, by result: changed (configuration, drain or commands came), unchanged, failed.");
        _applies = meter.CreateCounter<long>("opentunnel.agent.configuration.applies", "{configuration}", "Configurations applied to the gateway, by result: applied or refused.");
        meter.CreateObservableGauge("opentunnel.agent.telemetry.queue.depth", () => queue.Count, "{sample}", "Telemetry samples kept on disk, waiting to be sent.");
    }

    public void Polled(string result) => _polls.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Applied(bool applied) => _applies.Add(1, new KeyValuePair<string, object?>("result", applied ? "applied" : "refused"));
}
