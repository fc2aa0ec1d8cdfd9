namespace OpenTunnel.Agent.Link;

/// <summary>How a call to the management service failed, which decides what the agent does next.</summary>
public enum ManagementFailure
{
    /// <summary>No answer, or a 5xx: try again later; the gateway keeps its configuration.</summary>
    Unreachable,

    /// <summary>401: the agent's certificate is not accepted (revoked, server deleted, token spent); only an administrator can fix it.</summary>
    Refused,

    /// <summary>400, 404 or 409: this request was wrong; sending it again will not help.</summary>
    Rejected,
}

/// <summary>A call to the management service failed; the message says what was asked and what came back.</summary>
public sealed class ManagementLinkException : Exception
{
    public ManagementLinkException(ManagementFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public ManagementLinkException()
    {
    }

    public ManagementLinkException(string message)
        : base(message)
    {
    }

    public ManagementLinkException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ManagementFailure Failure { get; }
}
