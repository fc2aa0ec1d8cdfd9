namespace OpenTunnel.Gateway.Auth;

/// <summary>What <see cref="DevelopmentTokenIssuer.Mint(DevelopmentTokenRequest)"/> puts in a token; every time is absolute UTC.</summary>
public sealed record DevelopmentTokenRequest
{
    /// <summary>The <c>sub</c> claim. Required.</summary>
    public required string Subject { get; init; }

    /// <summary>The <c>preferred_username</c> claim; omitted when null.</summary>
    public string? UserName { get; init; }

    /// <summary>The <c>device_id</c> claim; omitted when null.</summary>
    public string? DeviceId { get; init; }

    /// <summary>The <c>groups</c> claim (a JSON array); omitted when empty.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>More claims (strings, numbers, booleans, string lists); they replace claims of the same name set above.</summary>
    public IReadOnlyDictionary<string, object> ExtraClaims { get; init; } = new Dictionary<string, object>();

    /// <summary><c>iat</c>; default now.</summary>
    public DateTimeOffset? IssuedAt { get; init; }

    /// <summary><c>nbf</c>; default <see cref="IssuedAt"/>.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary><c>exp</c> = <see cref="IssuedAt"/> + this; default one hour.</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary><c>iss</c>; default the issuer's own.</summary>
    public string? Issuer { get; init; }

    /// <summary><c>aud</c>; default the issuer's audience.</summary>
    public string? Audience { get; init; }
}
