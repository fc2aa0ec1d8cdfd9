using OpenTunnel.Client.Native;
using OpenTunnel.CommandLine;
using OpenTunnel.Protocol.Client;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>connect --gateway URL</c> with the native engine (the default, or <c>--engine native</c>): the token as for openconnect (got with the sign-in's refresh
/// token, and renewed that way while the tunnel runs, or read from --token-file), then
/// <see cref="NativeEngine"/> until SIGINT/SIGTERM or the gateway ends it. Options that only openconnect understands are refused by name.
/// <c>connect PROFILE</c> with the native engine is <see cref="ConnectVerb"/>'s (the profile's site, per-app namespace, lockdown, always-on).
/// </summary>
public static class NativeConnectVerb
{
    public static async Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment, string? tokenFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        RefuseOpenConnectOptions(arguments["script"], arguments.Extra);
        string? pin = ServerCertificate(arguments);
        Uri gateway = arguments.Url("gateway");
        SignInCredentials credentials = await CredentialsAsync(arguments, environment, tokenFile, cancellationToken);
        environment.State.EnsureExists();
        var engine = new NativeEngine(environment.Error, new TunnelStateFile(environment.State.TunnelFile), environment.Time);
        // A token from the stored sign-in is renewed while the tunnel runs; one from --token-file cannot be.
        Func<CancellationToken, Task<string>>? renew = credentials.Token is not null && tokenFile is null
            ? stop => TokenVerb.GatewayTokenAsync(environment, arguments["site"], stop)
            : null;
        return ExitCode(await engine.RunAsync(new NativeConnectRequest(gateway, pin, credentials, renew), cancellationToken));
    }

    /// <summary>The options only openconnect understands, refused by name: the native engine sets routes and DNS itself.</summary>
    internal static void RefuseOpenConnectOptions(string? script, IReadOnlyList<string> extra)
    {
        if (script is not null)
        {
            throw new UsageException("--script is a vpnc-script for openconnect; the native engine sets routes and DNS itself (leave --script out, or use --engine openconnect).");
        }

        if (extra.Count > 0)
        {
            throw new UsageException($"Arguments after '--' go to openconnect; the native engine takes none ('{string.Join(' ', extra)}'): add --engine openconnect, or leave them out.");
        }
    }

    /// <summary>The exit code of a native connect's outcome.</summary>
    internal static int ExitCode(NativeOutcome outcome) =>
        outcome switch
        {
            NativeOutcome.Stopped => ExitCodes.Success,
            NativeOutcome.Refused => ExitCodes.NoPermission,
            NativeOutcome.HostNotReady => ExitCodes.OsError,
            NativeOutcome.AlreadyRunning => ExitCodes.Failure,
            _ => ExitCodes.Unavailable,
        };

    /// <summary>--servercert, checked: pin-sha256: and the base64 of 32 bytes.</summary>
    internal static string? ServerCertificate(ClientArguments arguments)
    {
        string? pin = arguments["servercert"];
        if (pin is not null && !Trust.CertificatePins.IsWellFormed(pin))
        {
            throw new UsageException($"--servercert '{pin}' is not pin-sha256: and the base64 of 32 bytes.");
        }

        return pin;
    }

    /// <summary>A user name and the first line of --password-file (password sign-in), or the gateway token.</summary>
    private static async Task<SignInCredentials> CredentialsAsync(ClientArguments arguments, ClientEnvironment environment, string? tokenFile, CancellationToken cancellationToken)
    {
        string? user = arguments["user"];
        string? passwordFile = arguments["password-file"];
        if (user is null)
        {
            if (passwordFile is not null)
            {
                throw new UsageException("--password-file goes with --user.");
            }

            string token = tokenFile is not null
                ? (await File.ReadAllTextAsync(tokenFile, cancellationToken)).Trim()
                : await TokenVerb.GatewayTokenAsync(environment, arguments["site"], cancellationToken);
            return new SignInCredentials(token);
        }

        if (tokenFile is not null || arguments["site"] is not null)
        {
            throw new UsageException("--user signs in with a password; it takes neither --token-file nor --site.");
        }

        if (passwordFile is null)
        {
            throw new UsageException("--user needs --password-file FILE (or /dev/stdin) with the password.");
        }

        string password;
        try
        {
            using var reader = new StreamReader(passwordFile);
            password = await reader.ReadLineAsync(cancellationToken) ?? string.Empty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--password-file {passwordFile} cannot be read: {e.Message}");
        }

        if (password.Length == 0)
        {
            throw new UsageException($"--password-file {passwordFile} holds no password on its first line.");
        }

        return new SignInCredentials(Token: null, user, password);
    }
}
