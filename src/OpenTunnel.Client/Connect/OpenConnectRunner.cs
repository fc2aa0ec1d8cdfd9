using System.Diagnostics;

namespace OpenTunnel.Client.Connect;

/// <summary>What <c>connect</c> hands to openconnect.</summary>
public sealed record OpenConnectRequest(string Gateway, string TokenFile, string? ServerCertificate, string? Script, IReadOnlyList<string> Extra);

/// <summary>
/// Runs Debian's openconnect (9.01 and later) with a gateway token: <c>--token-mode=oidc
/// --token-secret=@FILE</c> makes it send the token as <c>Authorization: Bearer</c> in the auth
/// exchange (openconnect's oidc.c), which the gateway's sign-in accepts. openconnect keeps the
/// terminal (its output, and its prompts when a certificate is not trusted); SIGINT and SIGTERM
/// sent to the client are passed on, so openconnect disconnects cleanly (it sends the BYE and
/// runs the script's disconnect), and its exit code is the client's.
/// </summary>
public sealed class OpenConnectRunner(string program = "openconnect")
{
    public static IReadOnlyList<string> Arguments(OpenConnectRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var arguments = new List<string> { "--token-mode=oidc", "--token-secret=@" + request.TokenFile };
        if (request.ServerCertificate is not null)
        {
            arguments.Add("--servercert");
            arguments.Add(request.ServerCertificate);
        }

        if (request.Script is not null)
        {
            arguments.Add("--script");
            arguments.Add(request.Script);
        }

        arguments.AddRange(request.Extra);
        arguments.Add(request.Gateway);
        return arguments;
    }

    /// <summary>openconnect's exit code; <c>null</c> when it is not installed.</summary>
    public Task<int?> RunAsync(OpenConnectRequest request)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (string argument in Arguments(request))
        {
            info.ArgumentList.Add(argument);
        }

        return ForegroundProcess.RunAsync(info);
    }
}
