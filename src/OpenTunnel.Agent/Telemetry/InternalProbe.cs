using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OpenTunnel.Agent.Telemetry;

/// <summary>The last check of the site's internal probe URL.</summary>
public sealed record ProbeResult(bool Reachable, DateTime CheckedAt, string? Error);

/// <summary>
/// Checks the site's internal probe URL from this server: an HTTP GET that gets any answer
/// below 500 means the internal network is reachable (a 404 still proves the path works; a 5xx
/// does not prove the service behind it is). Latency is the time to open a TCP connection to
/// the URL's host and port, measured at every telemetry sample.
/// </summary>
public sealed class InternalProbe(TimeSpan timeout) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = timeout, AllowAutoRedirect = false }) { Timeout = timeout };

    public async Task<ProbeResult> CheckAsync(Uri url, DateTime now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        try
        {
            using HttpResponseMessage response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return (int)response.StatusCode < 500
                ? new ProbeResult(true, now, null)
                : new ProbeResult(false, now, $"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (HttpRequestException e)
        {
            return new ProbeResult(false, now, $"{url}: {e.InnerException?.Message ?? e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProbeResult(false, now, $"{url} gave no answer within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Milliseconds to connect to the URL's host and port; null when no connection could be made.</summary>
    public async Task<double?> MeasureLatencyAsync(Uri url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            IPAddress[] addresses = IPAddress.TryParse(url.IdnHost, out IPAddress? literal) ? [literal] : await Dns.GetHostAddressesAsync(url.IdnHost, limit.Token);
            if (addresses.Length == 0)
            {
                return null;
            }

            using var socket = new Socket(addresses[0].AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            long start = Stopwatch.GetTimestamp();
            await socket.ConnectAsync(addresses[0], url.Port, limit.Token);
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
