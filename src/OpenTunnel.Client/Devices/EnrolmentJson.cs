using System.Text.Json;
using System.Text.Json.Serialization;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Devices;

/// <summary>The JSON of the enrolment and posture requests and answers, written by the source generator.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DeviceEnrolmentRequest))]
[JsonSerializable(typeof(DeviceEnrolmentResponse))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class EnrolmentJson : JsonSerializerContext;
