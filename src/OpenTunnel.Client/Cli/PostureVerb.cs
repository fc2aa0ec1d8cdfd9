using System.Security.Cryptography;
using OpenTunnel.Client.Devices;
using OpenTunnel.Client.Oidc;
using OpenTunnel.Client.Posture;
using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel posture [--every SECONDS]</c>: reports this machine's posture again, proven by a
/// device assertion (no user token needed), once or in a loop until SIGINT/SIGTERM. In the loop a
/// service that cannot be reached is retried at the next interval; a refusal (the device was
/// deleted or its key replaced) ends it.
/// </summary>
public static class PostureVerb
{
    public static async Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        TimeSpan? every = arguments.Seconds("every", 1, 86400);
        EnrolledDevice device = environment.State.LoadDevice();
        using ECDsa key = environment.State.LoadDeviceKey();
        var credential = new DeviceCredential(key, environment.Time);
        if (every is null)
        {
            await ReportAsync(environment, device, credential, cancellationToken);
            return ExitCodes.Success;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                device = await ReportAsync(environment, device, credential, cancellationToken);
            }
            catch (ProviderException e) when (!e.Refused)
            {
                environment.Error.WriteLine($"{environment.Time.GetUtcNow():u} {e.Message} Trying again in {every.Value.TotalSeconds:0} s.");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await Task.Delay(every.Value, environment.Time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>The compliance state and the management service's reasons, after the posture lines.</summary>
    public static void PrintVerdict(TextWriter output, DevicePosture posture, DeviceEnrolmentResponse verdict)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(posture);
        ArgumentNullException.ThrowIfNull(verdict);
        foreach (string line in posture.Describe())
        {
            output.WriteLine(line);
        }

        output.WriteLine($"Compliance: {verdict.ComplianceState}");
        foreach (string reason in verdict.ComplianceReasons)
        {
            output.WriteLine($"  {reason}");
        }
    }

    private static async Task<EnrolledDevice> ReportAsync(ClientEnvironment environment, EnrolledDevice device, DeviceCredential credential, CancellationToken cancellationToken)
    {
        DevicePosture posture = await environment.Posture.CollectAsync(cancellationToken) with { Name = device.Name };
        // The provider checks the assertion's aud against the posture URL under its issuer (IssuerUrls), which may differ from the URL the client reaches it at.
        string assertion = credential.Assertion(device.DeviceId, DeviceEnrolmentRoutes.PostureUrl(device.Issuer, device.DeviceId));
        DeviceEnrolmentResponse verdict = await environment.Enrolment.ReportAsync(device.Server, device.DeviceId, assertion, posture, cancellationToken);
        environment.Out.WriteLine($"{environment.Time.GetUtcNow():u} Reported the posture of device {device.DeviceId}.");
        PrintVerdict(environment.Out, posture, verdict);
        EnrolledDevice updated = device with { ComplianceState = verdict.ComplianceState };
        environment.State.SaveDevice(updated);
        return updated;
    }
}
