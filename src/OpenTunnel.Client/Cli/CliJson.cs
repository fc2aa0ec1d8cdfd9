using System.Text.Json;
using System.Text.Json.Serialization;
using OpenTunnel.Client.State;

namespace OpenTunnel.Client.Cli;

/// <summary>The JSON that <c>status --json</c> and <c>profiles --json</c> print, written by the source generator.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(StatusVerb.Status))]
[JsonSerializable(typeof(StoredProfiles))]
internal sealed partial class CliJson : JsonSerializerContext;
