using System.Security.Cryptography;
using OpenTunnel.Client.Devices;
using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel token [--site NAME] [--out FILE]</c>: a gateway token from the sign-in's refresh
/// token, with a fresh device assertion and the site; the provider evaluates conditional access
/// again each time and, on <c>access_denied</c>, its description says which condition failed. After
/// <c>signin --unenrolled</c> the token is asked for without a device assertion (the provider marks it unmanaged).
/// </summary>
public static class TokenVerb
{
    /// <summary>The scope of gateway tokens; each refresh asks for it alone, so the token is for the gateways only.</summary>
    public const string Scope = "opentunnel.gateway";

    public static async Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        string token = await GatewayTokenAsync(environment, arguments["site"], cancellationToken);
        if (arguments["out"] is { } file)
        {
            ClientStateDirectory.WriteSecret(file, token);
            environment.Error.WriteLine($"Gateway token written to {file} (mode 0600).");
        }
        else
        {
            environment.Out.WriteLine(token);
        }

        return ExitCodes.Success;
    }

    /// <summary>A gateway token for <paramref name="site"/> (optional when the deployment has one site).</summary>
    public static async Task<string> GatewayTokenAsync(ClientEnvironment environment, string? site, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        SignInState signIn = environment.State.LoadSignIn();
        EnrolledDevice? device = signIn.Unenrolled ? null : environment.State.LoadDevice();
        if (!signIn.Grants(Scope))
        {
            throw new ClientStateException(
                $"The sign-in at {signIn.Server} (scope {signIn.Scope}) does not cover gateway tokens: run 'opentunnel signin --server {signIn.Server}' again; now that the device is enrolled, it asks for them.");
        }

        // Narrowed to the gateways' scope: a sign-in that also covers profiles must not give the gateway a token for the management service.
        var extra = new Dictionary<string, string> { ["scope"] = Scope };
        if (device is not null)
        {
            using ECDsa key = environment.State.LoadDeviceKey();
            extra[DeviceAssertions.TokenParameter] = new DeviceCredential(key, environment.Time).Assertion(device.DeviceId, signIn.TokenEndpoint);
        }

        if (site is not null)
        {
            extra["site"] = site;
        }

        return await environment.Refresher.AccessTokenAsync(signIn, extra, cancellationToken);
    }
}
