namespace OpenTunnel.Client.Oidc;

/// <summary>
/// The identity provider or the management service failed a request. <see cref="Refused"/> when it
/// answered with a refusal (an OAuth error such as access_denied, or a 4xx problem), false when it
/// could not be reached or answered something unexpected. The message carries the provider's own description.
/// </summary>
public sealed class ProviderException : Exception
{
    public ProviderException(string message, bool refused, string? error = null)
        : base(message)
    {
        Refused = refused;
        Error = error;
    }

    public ProviderException()
    {
    }

    public ProviderException(string message)
        : base(message)
    {
    }

    public ProviderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public bool Refused { get; }

    /// <summary>The request got no answer: the connection failed (also an untrusted HTTPS certificate) or timed out.</summary>
    public bool Unreachable => InnerException is HttpRequestException or OperationCanceledException;

    /// <summary>The OAuth error code (access_denied, invalid_grant, …), when the answer had one.</summary>
    public string? Error { get; }
}
