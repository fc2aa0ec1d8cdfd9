using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using OpenTunnel.Testing;

namespace OpenTunnel.Identity.Tests.Harness;

/// <summary>
/// Stands in for a gateway's control socket (the real one needs a running gateway with TUN and
/// TLS, which the gateway's own tests cover): answers every request as the gateway's
/// ControlCommands does for a terminate that ended one session, and records the requests.
/// </summary>
public sealed class StandInControlSocket : IDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly CancellationTokenSource _stop = new();

    public StandInControlSocket()
    {
        Path = _directory.File("control.sock");
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen(8);
        _ = AcceptAsync();
    }

    public string Path { get; }

    public ConcurrentQueue<JsonObject> Requests { get; } = new();

    /// <summary>Waits up to <paramref name="timeout"/> for a terminate of <paramref name="target"/>; the time it took.</summary>
    public async Task<TimeSpan> WaitForTerminateAsync(string target, TimeSpan timeout)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (started.Elapsed < timeout)
        {
            if (Requests.Any(r => r["command"]?.GetValue<string>() == "terminate" && r["target"]?.GetValue<string>() == target))
            {
                return started.Elapsed;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No terminate of {target} within {timeout}; requests: {string.Join(", ", Requests.Select(r => r.ToJsonString()))}");
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _stop.Dispose();
        _directory.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            using (client)
            await using (var stream = new NetworkStream(client))
            using (var reader = new StreamReader(stream, Encoding.UTF8))
            {
                string? line = await reader.ReadLineAsync(_stop.Token);
                if (line is not null && JsonNode.Parse(line) is JsonObject request)
                {
                    Requests.Enqueue(request);
                    var answer = new JsonObject { ["ok"] = true, ["result"] = new JsonObject { ["command"] = "terminate", ["sessions"] = 1 } };
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(answer.ToJsonString() + "\n"), _stop.Token);
                }
            }
        }
    }
}

/// <summary>The provider with one (stand-in) gateway control socket to deliver access withdrawals to.</summary>
public sealed class GatewaySocketIdentityFixture : IdentityFixture, IDisposable
{
    public StandInControlSocket Gateway { get; } = new();

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Identity:GatewayControlSockets:0"] = Gateway.Path,
    };

    public void Dispose() => Gateway.Dispose();
}
