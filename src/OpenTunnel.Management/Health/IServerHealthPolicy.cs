namespace OpenTunnel.Management.Health;

/// <summary>
/// One aspect of a server's health (in the manner of YARP's health policies: small, sealed,
/// pure). A policy answers null when it has nothing to judge, for example when the agent did not
/// report the value it looks at.
/// </summary>
public interface IServerHealthPolicy
{
    /// <summary>The check's name in the API (for example "cpu").</summary>
    string Name { get; }

    HealthCheck? Evaluate(HealthInput input);
}
