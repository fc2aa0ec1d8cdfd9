using System.Security.Cryptography;
using OpenTunnel.Client.Devices;
using OpenTunnel.Client.Oidc;
using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel signin --server URL [--site NAME] [--ca-pin PIN | --ca-file FILE]</c>: the device authorization grant (RFC 8628).
/// The provider runs conditional access whenever a token request includes <c>opentunnel.gateway</c>,
/// and that needs an enrolled device, so a sign-in cannot cover both before enrolment: before it
/// the scope is <c>openid offline_access opentunnel.device</c> (enough to enrol), after it
/// <c>openid offline_access opentunnel.gateway opentunnel.device</c> with a device assertion (and the
/// site) on each poll: gateway tokens, and tokens for the management service's profiles. The provider
/// never puts both audiences in one token; each later refresh asks for one scope (RFC 6749 section 6).
/// After the sign-in the user's VPN profiles are fetched and stored. With <c>--unenrolled</c> the sign-in
/// asks for gateway tokens without a device (no assertion, whether or not the device is enrolled):
/// the provider issues them only where a conditional-access policy allows unenrolled devices, and marks
/// them <c>compliance: unmanaged</c>; the sign-in is stored as such, and <c>token</c> keeps asking without a device.
/// </summary>
public static class SignInVerb
{
    public const string EnrolmentScope = "openid offline_access opentunnel.device";
    public const string GatewayScope = "openid offline_access opentunnel.gateway opentunnel.device";

    public static async Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        Uri server = arguments.Url("server");
        ProviderClient provider = environment.Provider;
        ProviderEndpoints endpoints = await provider.DiscoverAsync(server, cancellationToken);
        bool unenrolled = arguments.Has("unenrolled");
        EnrolledDevice? device = unenrolled ? null : environment.State.FindDevice();
        bool enrolled = device is not null && device.Server == server;
        using ECDsa? key = enrolled ? environment.State.LoadDeviceKey() : null;
        DeviceCredential? credential = key is null ? null : new DeviceCredential(key, environment.Time);
        string scope = enrolled || unenrolled ? GatewayScope : EnrolmentScope;
        if (!enrolled && !unenrolled && arguments["site"] is not null)
        {
            environment.Error.WriteLine("This device is not enrolled yet: the sign-in is for enrolment, and --site is used only by the sign-in after it.");
        }

        DeviceAuthorization authorization = await provider.AuthorizeDeviceAsync(endpoints, scope, cancellationToken);
        environment.Out.WriteLine($"To sign in, open {authorization.VerificationUri} and enter the code {authorization.UserCode}");
        if (authorization.VerificationUriComplete is { } complete)
        {
            environment.Out.WriteLine($"(or open {complete})");
        }

        environment.Out.WriteLine($"Waiting for the sign-in; the code expires in {authorization.ExpiresIn.TotalMinutes:0} minutes.");
        TokenAnswer tokens = await PollAsync(environment, endpoints, authorization, () =>
        {
            var form = new Dictionary<string, string> { ["grant_type"] = ProviderClient.DeviceCodeGrant, ["device_code"] = authorization.DeviceCode };
            if (credential is not null)
            {
                // A fresh assertion on every poll: the provider accepts each jti once (docs/identity.md).
                form[DeviceAssertions.TokenParameter] = credential.Assertion(device!.DeviceId, endpoints.TokenEndpoint);
            }

            if ((credential is not null || unenrolled) && arguments["site"] is { } site)
            {
                form["site"] = site;
            }

            return form;
        }, cancellationToken, unenrolled);

        if (tokens.RefreshToken is null)
        {
            throw new ProviderException("The provider signed you in but gave no refresh token (scope offline_access): the client cannot get tokens later.", refused: false);
        }

        (string? caPin, string? caFile) = ServerTrust.Given(arguments, environment.State);
        environment.State.SaveSignIn(new SignInState(server, endpoints.Issuer, endpoints.TokenEndpoint, tokens.RefreshToken, tokens.Scope ?? scope, environment.Time.GetUtcNow(), caPin, caFile, unenrolled));
        environment.Out.WriteLine($"Signed in at {server} (scope {tokens.Scope ?? scope}); stored in {environment.State.SignInFile}.");
        if (unenrolled)
        {
            environment.Out.WriteLine(SignInState.UnenrolledNote);
        }

        try
        {
            (StoredProfiles profiles, _) = await environment.Profiles.RefreshAsync(cancellationToken);
            environment.Out.WriteLine($"VPN profiles: {(profiles.Profiles.Count == 0 ? "none assigned to you" : string.Join(", ", profiles.Profiles.Select(p => p.Name)))} (stored in {environment.State.ProfilesFile}).");
        }
        catch (ProviderException e)
        {
            // The sign-in itself succeeded; 'opentunnel profiles' fetches them again.
            environment.Error.WriteLine($"The VPN profiles could not be fetched: {e.Message}");
        }

        environment.Out.WriteLine(enrolled || unenrolled
            ? "Next: 'opentunnel connect PROFILE' (or --gateway URL) for a tunnel."
            : "Next: 'opentunnel enrol' to enrol this device, then 'opentunnel signin' again for gateway access.");
        return ExitCodes.Success;
    }

    private static async Task<TokenAnswer> PollAsync(
        ClientEnvironment environment, ProviderEndpoints endpoints, DeviceAuthorization authorization, Func<Dictionary<string, string>> form, CancellationToken cancellationToken, bool unenrolled)
    {
        DateTimeOffset expires = environment.Time.GetUtcNow() + authorization.ExpiresIn;
        TimeSpan interval = authorization.Interval;
        while (true)
        {
            // RFC 8628 section 3.5: wait the interval before each poll.
            await Task.Delay(interval, environment.Time, cancellationToken);
            TokenAnswer answer = await environment.Provider.TokenAsync(endpoints.TokenEndpoint, form(), cancellationToken);
            PollStep step = DevicePolling.Next(answer, interval);
            if (step.Done)
            {
                return answer;
            }

            if (step.Failure is not null && unenrolled && answer.Error == "access_denied")
            {
                throw new ProviderException(
                    $"The sign-in without a device was refused: conditional access gives you no gateway access from an unenrolled device ({answer.ErrorDescription ?? "access_denied"}). " +
                    "An administrator can allow unenrolled devices in a conditional-access policy; else sign in without --unenrolled, enrol this device ('opentunnel enrol') and sign in again.",
                    refused: true, answer.Error);
            }

            if (step.Failure is not null)
            {
                throw new ProviderException(step.Failure, refused: true, answer.Error);
            }

            if (environment.Time.GetUtcNow() + step.Wait > expires)
            {
                throw new ProviderException(DevicePolling.Expired, refused: true, "expired_token");
            }

            interval = step.Wait;
        }
    }
}
