using OpenTunnel.Client.Oidc;
using OpenTunnel.Client.State;
using OpenTunnel.Trust;

namespace OpenTunnel.Client.Cli;

/// <summary>The verbs of the <c>opentunnel</c> executable and the exit code of each outcome (<see cref="ExitCodes"/>).</summary>
public static class ClientCommandLine
{
    public const string Usage = """
        Usage: opentunnel <verb> [options]

          signin --server URL [--site NAME] [--ca-pin pin-sha256:… | --ca-file FILE]
                  sign in with the device flow: open the URL shown, enter the code; before enrolment
                  the sign-in is for enrolling this device, after it for gateway tokens; --ca-pin or
                  --ca-file trusts the deployment's CA (kept for the later verbs), else the system's
          enrol [--name NAME]
                  make this device's key, collect its posture and enrol it (after signin)
          posture [--every SECONDS]
                  report the posture again, once or every SECONDS (1 to 86400) until stopped
          token [--site NAME] [--out FILE]
                  get a gateway token (printed, or written to FILE with mode 0600)
          connect (PROFILE | --gateway https://HOST[:PORT] [--site NAME]) [--servercert pin-sha256:…] [--script PATH]
                  [--token-file FILE] [--refresh-every SECONDS] [-- OPENCONNECT-OPTIONS...]
                  get a token (or use FILE) and run openconnect with it; its exit code is passed through;
                  with a PROFILE, to its site, fetching the profiles again every SECONDS (1 to 3600, default 60)
          profiles [--json]
                  fetch and list the VPN profiles assigned to you (the stored ones when the service is unreachable)
          status [--json]
                  the sign-in, the device, the running connection with its profile's proxy, the stored profiles
          run --profile NAME -- COMMAND [ARGS...]
                  run COMMAND with the profile's proxy in its environment (http_proxy, https_proxy, no_proxy,
                  or auto_proxy for a PAC URL); per-app isolation of its traffic is not done yet

        State: $OPENTUNNEL_CLIENT_HOME, else /var/lib/opentunnel-client for root, else ~/.config/opentunnel.
        Exit codes: 0 done, 1 service unreachable or failed, 2 bad command line, 3 a step is missing
        (sign in or enrol first), 4 refused by the provider, 130 interrupted; connect and run: their
        program's, 127 when it is not installed.
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, ClientEnvironment environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        DeploymentTrust? trust = null;
        HttpClient? trusted = null;
        try
        {
            ClientArguments arguments = ClientArguments.Parse(args);
            trust = ServerTrust.For(arguments, environment.State);
            if (trust is not null)
            {
                trusted = new HttpClient(trust.CreateHandler()) { Timeout = ClientEnvironment.HttpTimeout };
                environment = environment with { Http = trusted };
            }

            return arguments.Verb switch
            {
                "signin" => await SignInVerb.RunAsync(arguments, environment, cancellationToken),
                "enrol" => await EnrolVerb.RunAsync(arguments, environment, cancellationToken),
                "posture" => await PostureVerb.RunAsync(arguments, environment, cancellationToken),
                "token" => await TokenVerb.RunAsync(arguments, environment, cancellationToken),
                "connect" => await ConnectVerb.RunAsync(arguments, environment, cancellationToken),
                "profiles" => await ProfilesVerb.RunAsync(arguments, environment, cancellationToken),
                "status" => await StatusVerb.RunAsync(arguments, environment),
                "run" => await RunVerb.RunAsync(arguments, environment),
                _ => Print(environment.Out, Usage, ExitCodes.Success),
            };
        }
        catch (UsageException e)
        {
            return Print(environment.Error, $"{e.Message}\n\n{Usage}", ExitCodes.Usage);
        }
        catch (ClientStateException e)
        {
            return Print(environment.Error, e.Message, ExitCodes.NotReady);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The state directory or an output file cannot be written (another user's directory, a read-only file system, a directory in the way).
            return Print(environment.Error, $"Cannot read or write a file: {e.Message}", ExitCodes.NotReady);
        }
        catch (ProviderException e)
        {
            string refusedCertificate = trust?.LastProblem is { } problem ? $"\nThe server's HTTPS certificate is not trusted: {problem}." : string.Empty;
            return Print(environment.Error, e.Message + refusedCertificate, e.Refused ? ExitCodes.Refused : ExitCodes.ServiceFailed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Print(environment.Error, "Interrupted.", ExitCodes.Interrupted);
        }
        finally
        {
            trusted?.Dispose();
        }
    }

    private static int Print(TextWriter writer, string text, int code)
    {
        writer.WriteLine(text);
        return code;
    }
}
