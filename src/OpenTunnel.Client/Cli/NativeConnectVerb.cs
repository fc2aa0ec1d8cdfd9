using OpenTunnel.Client.Native;
using OpenTunnel.CommandLine;
using OpenTunnel.Protocol.Client;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>connect --engine native</c>: the token as for openconnect (got with the sign-in's refresh
/// token, or read from --token-file), then <see cref="NativeEngine"/> until SIGINT/SIGTERM or the
/// gateway ends it. Options that only openconnect understands are refused by name.
/// </summary>
public static class NativeConnectVerb
{
    public static async Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment, string? tokenFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        if (arguments["script"] is not null)
        {
            throw new UsageException("--script is a vpnc-script for openconnect; the native engine sets routes and DNS itself (leave --script out, or use --engine openconnect).");
        }

        if (arguments.Extra.Count > 0)
        {
            throw new UsageException($"Arguments after '--' go to openconnect; the native engine takes none ('{string.Join(' ', arguments.Extra)}').");
        }

        string? pin = arguments["servercert"];
        if (pin is not null && !Trust.CertificatePins.IsWellFormed(pin))
        {
            throw new UsageException($"--servercert '{pin}' is not pin-sha256: and the base64 of 32 bytes.");
        }

        Uri gateway = arguments.Url("gateway");
        string token = tokenFile is not null
            ? (await File.ReadAllTextAsync(tokenFile, cancellationToken)).Trim()
            : await TokenVerb.GatewayTokenAsync(environment, arguments["site"], cancellationToken);
        environment.State.EnsureExists();
        var engine = new NativeEngine(environment.Error, new TunnelStateFile(environment.State.TunnelFile), environment.Time);
        NativeOutcome outcome = await engine.RunAsync(new NativeConnectRequest(gateway, pin, new SignInCredentials(token)), cancellationToken);
        return outcome switch
        {
            NativeOutcome.Stopped => ExitCodes.Success,
            NativeOutcome.Refused => ExitCodes.NoPermission,
            NativeOutcome.HostNotReady => ExitCodes.OsError,
            NativeOutcome.AlreadyRunning => ExitCodes.Failure,
            _ => ExitCodes.Unavailable,
        };
    }
}
