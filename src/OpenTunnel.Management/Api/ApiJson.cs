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

    /// <summary>
    /// A stored object as a client would send it back: the body of its GET read as the body of a PUT
    /// (<typeparamref name="TInput"/>), so every field the two share is carried over, also one added
    /// after the caller was written. A form that shows some fields starts from this and sets those.
    /// </summary>
    public static TInput AsInput<TInput>(object stored)
        where TInput : class
    {
        ArgumentNullException.ThrowIfNull(stored);
        return JsonSerializer.SerializeToElement(stored, stored.GetType(), Options).Deserialize<TInput>(Options)
            ?? throw new InvalidOperationException($"A stored {stored.GetType().Name} read as {typeof(TInput).Name} is null.");
    }
}
