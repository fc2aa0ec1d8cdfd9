using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Agent;

/// <summary>
/// A real <c>opentunnel-management</c> process on 127.0.0.1 of the root namespace (loopback
/// only, fixed free ports, so it can be stopped and started again on the same data directory
/// and ports), with short agent-link intervals, its identity provider over plain http (on loopback
/// only), the console's sign-in address on that origin registered, and an API client signed in with
/// its first administrator key.
/// </summary>
public sealed class ManagementProcess : IDisposable
{
    private readonly string _dataDirectory;
    private readonly int _apiPort;
    private readonly string? _postgres;
    private readonly IReadOnlyList<string> _launcher;
    private TrackedProcess _process;

    private ManagementProcess(string dataDirectory, string? postgres, IReadOnlyList<string> launcher, int apiPort, int agentPort, TrackedProcess process)
    {
        _dataDirectory = dataDirectory;
        _postgres = postgres;
        _launcher = launcher;
        _apiPort = apiPort;
        AgentPort = agentPort;
        _process = process;
        Api = new AdminApiClient(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}") });
    }

    public int AgentPort { get; }

    public string AgentUrl => $"https://127.0.0.1:{AgentPort}";

    /// <summary>The REST API's and the identity provider's base address, which is also the issuer.</summary>
    public Uri ApiUrl => new($"http://127.0.0.1:{_apiPort}/");

    /// <summary>Signed in with the first full-admin key once the service has started.</summary>
    public AdminApiClient Api { get; }

    public string Output => _process.Output;

    /// <summary>The service's process id (the launcher's, which execs the service).</summary>
    public int ProcessId => _process.Id;

    /// <summary>False once the process has ended (a crash or a stop).</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>
    /// Starts the service on SQLite in <paramref name="dataDirectory"/>, or on PostgreSQL with
    /// <paramref name="postgresConnectionString"/>; <paramref name="launcher"/> (a command that
    /// execs its arguments, such as <c>unshare -m</c>) runs it.
    /// </summary>
    public static async Task<ManagementProcess> StartAsync(string dataDirectory, string? postgresConnectionString = null, IReadOnlyList<string>? launcher = null)
    {
        // A free port can be taken by another process before the service binds it (seconds later,
        // after its database is set up): then the service ends naming the address, and the start
        // is tried again on other ports.
        const int Attempts = 3;
        ManagementProcess management;
        for (int attempt = 1; ; attempt++)
        {
            management = new ManagementProcess(dataDirectory, postgresConnectionString, launcher ?? [], FreePort(), FreePort(), null!);
            try
            {
                management._process = await management.LaunchAsync();
                break;
            }
            catch (PortTakenException) when (attempt < Attempts)
            {
                management.Api.Http.Dispose();
            }
        }

        management.Api.Http.DefaultRequestHeaders.Add("X-Api-Key", (await File.ReadAllTextAsync(Path.Combine(dataDirectory, "admin-api-key"))).Trim());
        return management;
    }

    /// <summary>Stops the service with SIGTERM and waits for it.</summary>
    public async Task StopAsync()
    {
        _process.Signal(15);
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>Starts it again on the same data directory and ports.</summary>
    public async Task RestartAsync()
    {
        _process.Dispose();
        _process = await LaunchAsync();
    }

    /// <summary>The agent CA's pin, for <c>opentunnel-agent enrol --ca-pin</c>.</summary>
    public async Task<string> CaPinAsync() => (await Api.GetAsync("/api/v1/agent-ca")).GetProperty("pin").GetString()!;

    public void Dispose()
    {
        Api.Http.Dispose();
        _process.Dispose();
    }

    private async Task<TrackedProcess> LaunchAsync()
    {
        string[] command =
        [
            .. _launcher,
            "dotnet",
            SolutionOutput.Assembly("OpenTunnel.Management", "opentunnel-management.dll"),
            "serve",
            "--urls", string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{_apiPort}"),
            "--Management:DataDirectory", _dataDirectory,
            "--Management:Agents:Listen", string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{AgentPort}"),
            "--Management:Agents:ChangeCheckMilliseconds", "200",
            "--Management:Agents:LivenessCheckSeconds", "1",
            "--Identity:RequireHttps", "false",
            "--Management:Https:AllowLoopbackHttp", "true",
            "--Identity:ConsoleRedirectUris:0", string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{_apiPort}/console/signed-in"),
            .. _postgres is null ? Array.Empty<string>() : ["--Management:PostgresConnectionString", _postgres],
        ];
        var process = TrackedProcess.Start(command[0], command[1..]);
        using var probe = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_apiPort}") };
        // It measures nothing: under a load average of 50 and more a start took longer than 60 s.
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                string message = $"The management service ended at start:\n{process.Output}";
                process.Dispose();
                throw process.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
                    ? new PortTakenException(message)
                    : new InvalidOperationException(message);
            }

            try
            {
                using HttpResponseMessage health = await probe.GetAsync("/healthz");
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return process;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        process.Dispose();
        throw new TimeoutException($"The management service did not answer /healthz within 120 s:\n{process.Output}");
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>The service ended at start because another process held one of its ports.</summary>
    private sealed class PortTakenException(string message) : InvalidOperationException(message);
}
