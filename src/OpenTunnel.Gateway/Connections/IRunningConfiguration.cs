namespace OpenTunnel.Gateway.Connections;

/// <summary>Where a new connection reads the configuration in force (swapped as a whole on reload).</summary>
public interface IRunningConfiguration
{
    RunningConfiguration Current { get; }
}
