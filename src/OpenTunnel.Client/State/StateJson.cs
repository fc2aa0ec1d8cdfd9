using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpenTunnel.Client.State;

/// <summary>
/// The JSON of the client's state files, written by the source generator: no reflection at run
/// time, so the client also runs compiled ahead of time (docs/install.md).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(SignInState))]
[JsonSerializable(typeof(EnrolledDevice))]
[JsonSerializable(typeof(StoredProfiles))]
[JsonSerializable(typeof(ConnectionState))]
[JsonSerializable(typeof(AlwaysOnSetting))]
[JsonSerializable(typeof(OnDemandSetting))]
internal sealed partial class StateJson : JsonSerializerContext;
