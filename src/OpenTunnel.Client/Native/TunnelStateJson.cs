using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpenTunnel.Client.Native;

/// <summary>The JSON of <c>tunnel.json</c> (<see cref="TunnelStateFile"/>), written by the source generator.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(TunnelState))]
internal sealed partial class TunnelStateJson : JsonSerializerContext;
