namespace OpenTunnel.Gateway.Auth;

/// <summary>The issuer's signing keys could not be had; <see cref="Exception.Message"/> says from where and why.</summary>
public sealed class SigningKeysUnavailableException : Exception
{
    public SigningKeysUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public SigningKeysUnavailableException()
    {
    }

    public SigningKeysUnavailableException(string message)
        : base(message)
    {
    }
}
