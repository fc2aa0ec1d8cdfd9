using System.Text.Json;
using System.Text.Json.Serialization;
using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Management.Api;

/// <summary>
/// The one JSON shape of the API, also used for audit snapshots so they read like the API. It is
/// the agent link's shape (<see cref="AgentJson"/>), since agents are served by the same host.
/// </summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        AgentJson.Configure(options);
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        return options;
    }
}
