using OpenTunnel.Client.Connect;
using OpenTunnel.Client.State;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel connect --gateway URL [--site NAME] [--servercert PIN] [--script PATH] [--token-file FILE] [--engine native|openconnect] [-- …]</c>:
/// gets a gateway token (or takes the one in FILE, so that connect needs no access to the
/// provider), writes it to a 0600 file and runs openconnect with it until openconnect ends; or,
/// with <c>--engine native</c>, runs the tunnel in this process (<see cref="NativeConnectVerb"/>).
/// </summary>
public static class ConnectVerb
{
    /// <summary>openconnect is not installed (the shell's code for a command not found); the client's own code, beside the shared table.</summary>
    public const int OpenConnectMissing = 127;

    public static async Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        string gateway = arguments["gateway"]!;
        string? tokenFile = arguments["token-file"];
        if (tokenFile is not null && !File.Exists(tokenFile))
        {
            throw new UsageException($"--token-file {tokenFile} does not exist.");
        }

        if (tokenFile is not null && arguments["site"] is not null)
        {
            throw new UsageException("--site names the site of a new token; with --token-file there is none to get.");
        }

        string engine = arguments["engine"] ?? "openconnect";
        if (engine == "native")
        {
            return await NativeConnectVerb.RunAsync(arguments, environment, tokenFile, cancellationToken);
        }

        if (engine != "openconnect")
        {
            throw new UsageException($"--engine '{engine}' is neither 'native' nor 'openconnect'.");
        }

        bool ownToken = tokenFile is null;
        if (ownToken)
        {
            string token = await TokenVerb.GatewayTokenAsync(environment, arguments["site"], cancellationToken);
            tokenFile = environment.State.GatewayTokenFile;
            ClientStateDirectory.WriteSecret(tokenFile, token);
        }

        try
        {
            var request = new OpenConnectRequest(gateway, tokenFile!, arguments["servercert"], arguments["script"], arguments.Extra);
            environment.Error.WriteLine($"Connecting to {gateway} with openconnect.");
            // Not cancelled by SIGINT/SIGTERM: those go to openconnect, and the client ends when it does.
            int? exitCode = await environment.Runner.RunAsync(request, CancellationToken.None);
            if (exitCode is null)
            {
                environment.Error.WriteLine($"'{environment.OpenConnect}' is not installed: apt-get install openconnect (9.01 or later, for --token-mode=oidc).");
                return OpenConnectMissing;
            }

            return exitCode.Value;
        }
        finally
        {
            if (ownToken)
            {
                File.Delete(tokenFile!);
            }
        }
    }
}
