using System.Text;
using OpenTunnel.Protocol.Auth;

namespace OpenTunnel.Fuzz;

/// <summary>
/// A client's <c>config-auth</c> body as the gateway reads it (UTF-8 text into
/// <see cref="AuthXml.TryParseClientMessage"/>). Input: the body. Documented refusal: false with
/// an error; no exception may escape.
/// </summary>
internal static class AuthXmlTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        bool parsed = AuthXml.TryParseClientMessage(Encoding.UTF8.GetString(input), out var message, out string? error);
        FuzzInvariantException.Check(parsed ? message is not null && error is null : message is null && !string.IsNullOrEmpty(error), "a message on success, an error otherwise");
        if (message is not null)
        {
            FuzzInvariantException.Check(message.DeviceId is null || message.DeviceId.Length > 0, "a device id is null or not empty");
            _ = message.Fields.TryGetValue(AuthXml.PasswordField, out _);
        }
    }
}
