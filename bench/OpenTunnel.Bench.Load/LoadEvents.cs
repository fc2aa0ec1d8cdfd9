using System.Text.Json;
using System.Text.Json.Serialization;
using OpenTunnel.Bench.Load.Sessions;

namespace OpenTunnel.Bench.Load;

/// <summary>
/// The lines the load generator prints on stdout, one JSON object each: <c>{"event":"ramp","ramp":{...}}</c>
/// once every sign-in has finished, <c>{"event":"done","hold":{...}}</c> at the end. The benchmark reads them with the same types.
/// </summary>
public sealed record LoadEvent(string Event, RampResult? Ramp = null, HoldResult? Hold = null)
{
    public const string RampEvent = "ramp";
    public const string DoneEvent = "done";

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        IncludeFields = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads one line the load generator printed; null when the line is not an event.</summary>
    public static LoadEvent? TryParse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<LoadEvent>(line, JsonOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
