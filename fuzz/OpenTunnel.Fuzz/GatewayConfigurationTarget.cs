using System.Text;
using OpenTunnel.Gateway.Configuration;

namespace OpenTunnel.Fuzz;

/// <summary>
/// A gateway configuration document as the control socket's apply takes it
/// (<see cref="GatewayConfigurationLoader.LoadJson"/>: JSON, binding, validation). Input: the
/// document. Documented refusal: <see cref="GatewayConfigurationException"/> listing the problems.
/// </summary>
internal static class GatewayConfigurationTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        try
        {
            var options = GatewayConfigurationLoader.LoadJson(Encoding.UTF8.GetString(input));
            FuzzInvariantException.Check(GatewayOptionsValidator.Validate(options).Count == 0, "a loaded configuration validates");
        }
        catch (GatewayConfigurationException e)
        {
            FuzzInvariantException.Check(e.Errors.Count > 0 && e.Errors.All(error => error.Length > 0), "a refusal names at least one problem");
        }
    }
}
