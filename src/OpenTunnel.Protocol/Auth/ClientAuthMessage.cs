namespace OpenTunnel.Protocol.Auth;

/// <summary>
/// What a client posted in a <c>&lt;config-auth&gt;</c> document: its type (<c>init</c>,
/// <c>auth-reply</c>, <c>logout</c>), the device id it sent and the form fields of an auth-reply
/// (openconnect auth.c <c>xmlpost_initial_req</c> and <c>xmlpost_append_form_opts</c>).
/// </summary>
public sealed record ClientAuthMessage(string Type, string? DeviceId, string? GroupAccess, IReadOnlyDictionary<string, string> Fields)
{
    public const string InitType = "init";
    public const string ReplyType = "auth-reply";
    public const string LogoutType = "logout";

    /// <summary>The browser sign-in the reply belongs to: the <c>sso-attempt</c> of the opaque element the server sent and the client echoed.</summary>
    public string? SignInAttempt { get; init; }
}
