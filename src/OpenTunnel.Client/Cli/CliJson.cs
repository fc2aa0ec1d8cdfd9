using System.Text.Json;
using System.Text.Json.Serialization;
namespace OpenTunnel.Client.Cli;

/// <summary>The JSON that <c>status --json</c> prints, written by the source generator (<c>profiles --json</c> prints the profiles file's own, <see cref="State.StateJson"/>).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(StatusVerb.Status))]
internal sealed partial class CliJson : JsonSerializerContext;
