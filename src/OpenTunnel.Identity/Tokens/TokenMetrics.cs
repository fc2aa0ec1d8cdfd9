using System.Diagnostics.Metrics;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Tokens;

/// <summary>
/// Counts the token endpoint's answers under <see cref="MeterName"/>: <c>opentunnel.identity.tokens</c>
/// with result issued or refused, the grant type, and for a refusal the OAuth error as the reason
/// (invalid_grant, invalid_client, access_denied...). A device code still waiting for approval
/// (authorization_pending, slow_down) is the normal poll answer and not counted. The host exports the meter.
/// </summary>
public sealed class TokenMetrics : IOpenIddictServerHandler<OpenIddictServerEvents.ApplyTokenResponseContext>
{
    public const string MeterName = "OpenTunnel.Identity";

    private readonly Counter<long> _tokens;

    public TokenMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _tokens = meters.Create(MeterName).CreateCounter<long>("opentunnel.identity.tokens", description: "Token requests answered, by result (issued, refused), grant type and the reason of a refusal");
    }

    public ValueTask HandleAsync(OpenIddictServerEvents.ApplyTokenResponseContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? error = context.Response.Error;
        if (error is Errors.AuthorizationPending or Errors.SlowDown)
        {
            return ValueTask.CompletedTask;
        }

        _tokens.Add(
            1,
            new KeyValuePair<string, object?>("result", error is null ? "issued" : "refused"),
            new KeyValuePair<string, object?>("grant_type", GrantTypeOf(context.Request?.GrantType)),
            new KeyValuePair<string, object?>("reason", error ?? "none"));
        return ValueTask.CompletedTask;
    }

    /// <summary>The standard grant types by name; anything else a client sends is "other", so a client cannot add series.</summary>
    private static string GrantTypeOf(string? grantType) => grantType switch
    {
        GrantTypes.AuthorizationCode or GrantTypes.ClientCredentials or GrantTypes.DeviceCode or GrantTypes.RefreshToken or GrantTypes.Password => grantType,
        null => "none",
        _ => "other",
    };
}
