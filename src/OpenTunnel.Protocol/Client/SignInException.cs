namespace OpenTunnel.Protocol.Client;

/// <summary>
/// The gateway sent the sign-in to another server of its site (load-aware sign-in: a 301, 302,
/// 303, 307 or 308 with an absolute https:// Location, as openconnect's http.c follows it): the
/// caller connects to <see cref="Location"/> and signs in there from the start.
/// </summary>
public sealed class SignInRedirectException : Exception
{
    public SignInRedirectException(Uri location)
        : base($"the gateway sent the sign-in to {location}")
    {
        Location = location;
    }

    public SignInRedirectException()
    {
        Location = new Uri("https://localhost/");
    }

    public SignInRedirectException(string message)
        : base(message)
    {
        Location = new Uri("https://localhost/");
    }

    public SignInRedirectException(string message, Exception innerException)
        : base(message, innerException)
    {
        Location = new Uri("https://localhost/");
    }

    public Uri Location { get; }
}

/// <summary>The server refused or broke the sign-in or CONNECT; the message says at which step and why.</summary>
public sealed class SignInException : Exception
{
    public SignInException(string message)
        : base(message)
    {
    }

    public SignInException()
    {
    }

    public SignInException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
