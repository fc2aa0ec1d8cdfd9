namespace OpenTunnel.Protocol.Client;

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
