namespace OpenTunnel.Client.Posture;

/// <summary>One posture answer: true, false, or null when this machine cannot tell; and how it was found.</summary>
public sealed record PostureFinding(bool? Value, string Evidence)
{
    public static PostureFinding Unknown(string why) => new(null, why);

    /// <summary>"yes", "no" or "unknown", as the client prints it.</summary>
    public string Answer => Value switch
    {
        true => "yes",
        false => "no",
        null => "unknown",
    };
}
