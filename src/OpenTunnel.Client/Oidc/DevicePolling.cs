namespace OpenTunnel.Client.Oidc;

/// <summary>What to do after a poll of the token endpoint: stop with tokens, wait and poll again, or give up with a message.</summary>
public sealed record PollStep(bool Done, TimeSpan Wait, string? Failure)
{
    public static PollStep Finished { get; } = new(true, TimeSpan.Zero, null);

    public static PollStep Again(TimeSpan wait) => new(false, wait, null);

    public static PollStep Fail(string message) => new(false, TimeSpan.Zero, message);
}

/// <summary>The client's side of RFC 8628 section 3.5: how each answer to a device-code poll is handled.</summary>
public static class DevicePolling
{
    /// <summary>Section 3.5: on slow_down the interval grows by 5 seconds, for this and every later poll.</summary>
    public static readonly TimeSpan SlowDownStep = TimeSpan.FromSeconds(5);

    public const string Expired = "The code expired before anyone approved it: run 'opentunnel signin' again and approve the new code in time.";

    public static PollStep Next(TokenAnswer answer, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return answer switch
        {
            { AccessToken: not null } => PollStep.Finished,
            { Error: "authorization_pending" } => PollStep.Again(interval),
            { Error: "slow_down" } => PollStep.Again(interval + SlowDownStep),
            { Error: "expired_token" } => PollStep.Fail(Expired),
            { Error: "access_denied" } => PollStep.Fail($"The sign-in was refused: {answer.ErrorDescription ?? "access_denied"}"),
            _ => PollStep.Fail($"The provider ended the sign-in: {answer.Describe()}"),
        };
    }
}
