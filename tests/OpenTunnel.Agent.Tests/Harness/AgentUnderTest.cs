using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTunnel.Agent.Commands;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Testing;

namespace OpenTunnel.Agent.Tests.Harness;

/// <summary>
/// An enrolled agent composed the way the executable composes it (<see cref="AgentServices.AddAgent"/>),
/// against the fixture's real management service. Its gateway is absent: the control socket and
/// the configuration file name paths that do not exist. A test starts only the loops it checks.
/// </summary>
public sealed class AgentUnderTest : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _started = [];

    private AgentUnderTest(ServiceProvider services, EnrolledAgent enrolled)
    {
        _services = services;
        Enrolled = enrolled;
    }

    /// <summary>What enrolment made (its identity and link are the test's own, apart from the agent's).</summary>
    public EnrolledAgent Enrolled { get; }

    public AgentState State => Get<AgentState>();

    public static async Task<AgentUnderTest> EnrolAsync(ManagementServerFixture fixture, string? probeUrl = null, int renewWhenRemainingPercent = 33)
    {
        EnrolledAgent enrolled = await fixture.EnrolAsync(probeUrl);
        AgentOptions options = fixture.Server.AgentOptions(fixture.Directory) with
        {
            DataDirectory = enrolled.DataDirectory,
            GatewayControlSocket = Path.Combine(enrolled.DataDirectory, "no-gateway.sock"),
            GatewayConfigurationFile = Path.Combine(enrolled.DataDirectory, "no-gateway.json"),
            TelemetryIntervalSeconds = 1,
            RetrySeconds = 1,
            PollWaitSeconds = 1,
            RenewWhenRemainingPercent = renewWhenRemainingPercent,
            MetricsAddress = $"127.0.0.1:{LoopbackPorts.Free()}",
        };
        var services = new ServiceCollection().AddLogging().AddAgent(options, new RecentLogLines(100)).BuildServiceProvider();
        return new AgentUnderTest(services, enrolled);
    }

    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    /// <summary>Starts the hosted loop of type <typeparamref name="TLoop"/> as the host would.</summary>
    public async Task StartAsync<TLoop>()
        where TLoop : IHostedService
    {
        IHostedService loop = _services.GetServices<IHostedService>().OfType<TLoop>().Single();
        await loop.StartAsync(CancellationToken.None);
        _started.Add(loop);
    }

    /// <summary>Waits up to <paramref name="seconds"/> for <paramref name="condition"/>; false when it never held.</summary>
    public static async Task<bool> WithinAsync(int seconds, Func<Task<bool>> condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return await condition();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (IHostedService loop in _started)
        {
            await loop.StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
        Enrolled.Dispose();
    }
}
