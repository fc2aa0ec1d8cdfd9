using System.Security.Cryptography;
using OpenTunnel.Client.Devices;
using OpenTunnel.Client.Posture;
using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel enrol [--name NAME]</c>: generates the device's P-256 key (kept in the state
/// directory, never sent), collects this machine's posture and enrols the device with the
/// user's token (scope <c>opentunnel.device</c>, from the sign-in).
/// </summary>
public static class EnrolVerb
{
    public static async Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        ClientStateDirectory state = environment.State;
        SignInState signIn = state.LoadSignIn();
        if (state.FindDevice() is { } existing)
        {
            throw new ClientStateException(
                $"This machine is already enrolled as device {existing.DeviceId} at {existing.Server} ({state.DeviceFile}). "
                + $"To enrol it again as a new device, delete {state.DeviceFile} and {state.DeviceKeyFile}, sign in again and enrol.");
        }

        if (!signIn.Grants("opentunnel.device"))
        {
            throw new ClientStateException(
                $"The sign-in at {signIn.Server} (scope {signIn.Scope}) does not allow enrolment (scope opentunnel.device): run 'opentunnel signin --server {signIn.Server}' again.");
        }

        string accessToken = await environment.Refresher.AccessTokenAsync(signIn, new Dictionary<string, string>(), cancellationToken);
        using ECDsa key = state.LoadDeviceKey(create: true);
        DevicePosture posture = await environment.Posture.CollectAsync(cancellationToken);
        if (arguments["name"] is { } name)
        {
            posture = posture with { Name = name };
        }

        DeviceEnrolmentResponse verdict = await environment.Enrolment.EnrolAsync(signIn.Server, accessToken, posture, new DeviceCredential(key, environment.Time).PublicJwk(), cancellationToken);
        state.SaveDevice(new EnrolledDevice(verdict.DeviceId, posture.Name, signIn.Server, signIn.Issuer, environment.Time.GetUtcNow(), verdict.ComplianceState));
        environment.Out.WriteLine($"Enrolled as device {verdict.DeviceId} at {signIn.Server}; key in {state.DeviceKeyFile}.");
        PostureVerb.PrintVerdict(environment.Out, posture, verdict);
        environment.Out.WriteLine($"Next: 'opentunnel signin --server {signIn.Server}' again, so that the sign-in covers gateway tokens for this device.");
        return ExitCodes.Success;
    }
}
