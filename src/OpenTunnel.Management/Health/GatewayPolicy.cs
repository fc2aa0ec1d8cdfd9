using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Health;

/// <summary>A server whose gateway does not answer its agent serves nobody: unhealthy.</summary>
public sealed class GatewayPolicy : IServerHealthPolicy
{
    public string Name => "gateway";

    public HealthCheck? Evaluate(HealthInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Latest is null)
        {
            return null;
        }

        return input.Latest.GatewayError is { } error
            ? new HealthCheck(Name, ServerHealth.Unhealthy, $"The gateway does not answer its agent: {error}")
            : new HealthCheck(Name, ServerHealth.Healthy, "The gateway answers its agent.");
    }
}
