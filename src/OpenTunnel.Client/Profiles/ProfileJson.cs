using System.Text.Json;
using System.Text.Json.Serialization;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Profiles;

/// <summary>The JSON of the profile list the management service answers, read by the source generator's code.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DeviceProfileList))]
internal sealed partial class ProfileJson : JsonSerializerContext;
