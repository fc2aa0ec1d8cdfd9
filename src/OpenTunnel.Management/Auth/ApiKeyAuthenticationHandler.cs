using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Data;

namespace OpenTunnel.Management.Auth;

/// <summary>
/// Signs in automation with an API key, sent as "Authorization: ApiKey KEY" or "X-Api-Key: KEY".
/// The principal's name is "api-key:NAME" and its role the key's role.
/// </summary>
public sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ManagementDbContext db,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    /// <summary>Whether the request carries an API key, so the default scheme forwards here.</summary>
    public static bool Carries(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Headers.ContainsKey(HeaderName)
            || request.Headers.Authorization.ToString().StartsWith(SchemeName + " ", StringComparison.OrdinalIgnoreCase);
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? key = Request.Headers[HeaderName].FirstOrDefault();
        string authorization = Request.Headers.Authorization.ToString();
        if (key is null && authorization.StartsWith(SchemeName + " ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization[(SchemeName.Length + 1)..].Trim();
        }

        if (string.IsNullOrEmpty(key))
        {
            return AuthenticateResult.NoResult();
        }

        string hash = ApiKeySecret.Hash(key);
        var stored = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.KeyHash == hash, Context.RequestAborted);
        if (stored is null)
        {
            return AuthenticateResult.Fail("The API key is not known (revoked, or mistyped).");
        }

        if (stored.ExpiresAt is { } expires && expires <= clock.GetUtcNow().UtcDateTime)
        {
            return AuthenticateResult.Fail($"The API key '{stored.Name}' expired at {expires:u}.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, $"api-key:{stored.Name}"), new Claim(ClaimTypes.Role, stored.Role)],
            SchemeName,
            ClaimTypes.Name,
            ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
