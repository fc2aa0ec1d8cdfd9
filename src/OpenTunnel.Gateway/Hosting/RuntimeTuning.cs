namespace OpenTunnel.Gateway.Hosting;

/// <summary>
/// How the gateway has the .NET runtime run its sockets, set as the process starts, before any
/// socket exists (the runtime reads it once, when its socket engine starts). The other setting of
/// this kind, that idle thread-pool threads sleep at once instead of spinning, is in the
/// gateway's runtime configuration (<c>System.Threading.ThreadPool.UnfairSemaphoreSpinLimit</c> 0,
/// from OpenTunnel.Gateway.csproj, compiled into the native executable). docs/gateway.md, "Runtime settings", has the figures.
/// </summary>
public static class RuntimeTuning
{
    /// <summary>The runtime's switch for running socket completions on its socket-engine threads.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Has a socket's completion (a TLS read that data arrived for) run on the socket-engine
    /// thread that saw it, one such thread per core, instead of being queued to a thread-pool
    /// thread that must wake first. An operator's own value of the variable (0 turns it off) is kept.
    /// </summary>
    public static void Apply()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }
}
