using System.Text.Json.Nodes;
using OpenTunnel.Agent.Gateway;
using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Agent.Telemetry;

/// <summary>
/// What the agent knows about itself that goes into a sample; <c>ProbeUrl</c> is the site's
/// internal probe URL from the applied configuration, <c>LastProbe</c> its last check.
/// </summary>
public sealed record AgentFacts(DateTime AgentCertificateNotAfter, string? AppliedConfigurationETag, bool Draining, Uri? ProbeUrl, ProbeResult? LastProbe);

/// <summary>
/// Takes one sample: CPU (5-minute average), memory and disk from /proc and the file system;
/// sessions, traffic and the TLS certificate from the gateway's status; latency to the probe
/// URL. The traffic rate is the change of the gateway's byte counters since the previous sample
/// (none after a gateway restart reset them).
/// </summary>
public sealed class TelemetryCollector(IGatewayControl gateway, InternalProbe probe, string dataDirectory, string version)
{
    private readonly CpuLoadWindow _cpu = new(CpuLoadWindow.FiveMinutes);
    private (DateTime At, long In, long Out)? _traffic;

    /// <summary>A sample with sequence number 0; the queue gives it its number.</summary>
    public async Task<TelemetrySample> CollectAsync(DateTime now, AgentFacts facts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        double? cpu = ReadFile("/proc/stat") is { } stat && ProcStat.ParseCpu(stat) is { } times ? _cpu.Add(now, times) : null;
        MemoryInfo? memory = ReadFile("/proc/meminfo") is { } meminfo ? ProcStat.ParseMemory(meminfo) : null;
        long? diskFree = DiskFree();

        int? sessions = null;
        double? rateIn = null;
        double? rateOut = null;
        DateTime? tlsNotAfter = null;
        // The control client's failures are InvalidOperationExceptions; a value of the wrong type is a FormatException.
        string? gatewayError = null;
        bool draining = facts.Draining;
        try
        {
            JsonObject status = await gateway.StatusAsync(cancellationToken);
            sessions = status["sessions"]?.GetValue<int>();
            tlsNotAfter = status["certificate"]?["notAfter"]?.GetValue<DateTimeOffset>().UtcDateTime;
            draining = status["draining"]?.GetValue<bool>() ?? draining;
            long bytesIn = status["bytesFromClients"]?.GetValue<long>() ?? 0;
            long bytesOut = status["bytesToClients"]?.GetValue<long>() ?? 0;
            if (_traffic is { } previous && bytesIn >= previous.In && bytesOut >= previous.Out && now > previous.At)
            {
                double seconds = (now - previous.At).TotalSeconds;
                rateIn = (bytesIn - previous.In) / seconds;
                rateOut = (bytesOut - previous.Out) / seconds;
            }

            _traffic = (now, bytesIn, bytesOut);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            gatewayError = e.Message;
            _traffic = null;
        }

        double? latency = facts.ProbeUrl is { } url ? await probe.MeasureLatencyAsync(url, cancellationToken) : null;
        return new TelemetrySample(
            0,
            now,
            cpu,
            memory?.UsedPercent,
            memory?.TotalBytes,
            diskFree,
            Environment.ProcessorCount,
            sessions,
            rateIn,
            rateOut,
            latency,
            tlsNotAfter,
            facts.AgentCertificateNotAfter,
            version,
            facts.AppliedConfigurationETag,
            facts.LastProbe?.Reachable,
            facts.LastProbe?.CheckedAt,
            facts.LastProbe?.Error,
            draining,
            gatewayError);
    }

    private long? DiskFree()
    {
        try
        {
            return new DriveInfo(dataDirectory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static string? ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
