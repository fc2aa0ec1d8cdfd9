using OpenTunnel.Client.State;
using OpenTunnel.Trust;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// How a verb trusts the provider's HTTPS certificate: <c>signin</c>'s <c>--ca-pin</c> or
/// <c>--ca-file</c>, else what the stored sign-in was made with (a sign-in again at the same server
/// keeps it; the later verbs use it); neither: the system's trust store.
/// </summary>
internal static class ServerTrust
{
    /// <summary>The trust for this verb, or null for the system's trust store.</summary>
    /// <exception cref="UsageException">Both options, a malformed pin or an unreadable CA file.</exception>
    public static DeploymentTrust? For(ClientArguments arguments, ClientStateDirectory state)
    {
        (string? pin, string? caFile) = Given(arguments, state);
        try
        {
            return DeploymentTrust.From(pin, caFile, "--ca-pin", "--ca-file");
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>The pin or CA file (as an absolute path) of the command line, else the stored sign-in's when it is for the same server (or the verb is not signin).</summary>
    public static (string? Pin, string? CaFile) Given(ClientArguments arguments, ClientStateDirectory state)
    {
        if (arguments["ca-pin"] is not null || arguments["ca-file"] is not null)
        {
            return (arguments["ca-pin"], arguments["ca-file"] is { } file ? Path.GetFullPath(file) : null);
        }

        if (!File.Exists(state.SignInFile))
        {
            return (null, null);
        }

        SignInState stored = state.LoadSignIn();
        bool sameServer = arguments.Verb != "signin" || arguments.Url("server") == stored.Server;
        return sameServer ? (stored.CaPin, stored.CaFile) : (null, null);
    }
}
