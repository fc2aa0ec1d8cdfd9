using System.Text.Json.Nodes;
using OpenTunnel.Gateway.Hosting;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// The .NET runtime settings the gateway runs with (docs/gateway.md, "Runtime settings"), seen in
/// the running process and in the files it ships with.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayRuntimeSettingsTests
{
    // The name the runtime gives its socket-engine threads (the threads that wait in epoll).
    private const string EngineThreadName = ".NET Sockets";

    [Fact]
    public async Task SocketCompletions_RunOnOneEngineThreadPerCore_UnlessTheOperatorTurnsThemOff()
    {
        int inline;
        using (var gateway = await GatewayInstance.StartAsync())
        {
            await gateway.ControlAsync("status");
            inline = EngineThreads(gateway.Process.Id);
        }

        int handedOff;
        using (var gateway = await GatewayInstance.StartAsync(environment: new Dictionary<string, string> { [RuntimeTuning.InlineCompletionsVariable] = "0" }))
        {
            await gateway.ControlAsync("status");
            handedOff = EngineThreads(gateway.Process.Id);
        }

        // The runtime starts one engine per core when completions run inline, else one per 30 cores.
        Assert.Equal(Environment.ProcessorCount, inline);
        Assert.Equal(Math.Max(1, (int)Math.Round(Environment.ProcessorCount / 30.0)), handedOff);
    }

    [Fact]
    public void RuntimeConfig_HasIdleThreadPoolThreadsSleepWithoutSpinning()
    {
        var properties = RuntimeConfigProperties();

        Assert.Equal(0, properties["System.Threading.ThreadPool.UnfairSemaphoreSpinLimit"]!.GetValue<int>());
    }

    [Fact]
    public void RuntimeConfig_HasHotMethodsRecompiledWithoutAnInstrumentedStage()
    {
        var properties = RuntimeConfigProperties();

        Assert.False(properties["System.Runtime.TieredPGO"]!.GetValue<bool>());
    }

    [Fact]
    public void RuntimeConfig_HasCallsCountedTowardsOptimizedCodeFromTheStart()
    {
        var properties = RuntimeConfigProperties();

        Assert.Equal(0, properties["System.Runtime.TieredCompilation.CallCountingDelayMs"]!.GetValue<int>());
    }

    [Fact]
    public void RuntimeConfig_HasMethodsOptimizedAfterFiveCalls()
    {
        var properties = RuntimeConfigProperties();

        Assert.Equal(5, properties["System.Runtime.TieredCompilation.CallCountThreshold"]!.GetValue<int>());
    }

    /// <summary>The configProperties of the runtimeconfig.json the gateway ships with.</summary>
    private static JsonNode RuntimeConfigProperties()
    {
        string file = Path.ChangeExtension(GatewayInstance.GatewayAssembly(), ".runtimeconfig.json");
        return JsonNode.Parse(File.ReadAllText(file))!["runtimeOptions"]!["configProperties"]!;
    }

    private static int EngineThreads(int processId) =>
        Directory.GetDirectories($"/proc/{processId}/task")
            .Count(task => File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == EngineThreadName);
}
