using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpenTunnel.Agent.Protocol;

/// <summary>
/// The JSON shape of the link, the same as the management API's: camelCase names, enums as
/// camelCase strings (an unknown name is an error, not a number), UTC times in ISO 8601.
/// </summary>
public static class AgentJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        return options;
    }
}
