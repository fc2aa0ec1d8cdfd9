using System.Reflection;

namespace OpenTunnel.Agent.Hosting;

/// <summary>The agent's version as it reports it (the assembly's informational version, without build metadata).</summary>
public static class AgentVersion
{
    public static string Current { get; } =
        (typeof(AgentVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
