using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Settings;

namespace OpenTunnel.Management.Auth;

/// <summary>
/// API keys and administrator JWTs, and the two policies: reading needs read-only or
/// full-admin, writing needs full-admin. Every refusal is logged.
/// </summary>
public static partial class AuthorizationSetup
{
    public const string ReadPolicy = "read";
    public const string WritePolicy = "write";
    private const string SelectorScheme = "ApiKeyOrBearer";
    private const string ActorClaim = "opentunnel_actor";

    public static IServiceCollection AddManagementAuthorization(this IServiceCollection services)
    {
        services.AddAuthentication(SelectorScheme)
            .AddPolicyScheme(SelectorScheme, "API key or bearer token", o =>
                o.ForwardDefaultSelector = context =>
                    ApiKeyAuthenticationHandler.Carries(context.Request) || TokensOf(context.RequestServices).Authority is null
                        ? ApiKeyAuthenticationHandler.SchemeName
                        : JwtBearerDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddJwtBearer();

        // Read when the scheme is first used, so settings given to the host builder late (tests) count.
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<ManagementOptions>>((o, management) => ConfigureBearer(o, management.Value.AdminTokens));

        services.AddAuthorizationBuilder()
            .AddPolicy(ReadPolicy, p => p.RequireAuthenticatedUser().RequireRole(ManagementRoles.ReadOnly, ManagementRoles.FullAdmin))
            .AddPolicy(WritePolicy, p => p.RequireAuthenticatedUser().RequireRole(ManagementRoles.FullAdmin));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, LoggingAuthorizationResultHandler>();
        return services;
    }

    private static AdminTokenOptions TokensOf(IServiceProvider services) =>
        services.GetRequiredService<IOptions<ManagementOptions>>().Value.AdminTokens;

    private static void ConfigureBearer(JwtBearerOptions o, AdminTokenOptions tokens)
    {
        o.Authority = tokens.Authority;
        o.Audience = tokens.Audience;
        o.RequireHttpsMetadata = tokens.RequireHttpsMetadata;
        o.MapInboundClaims = false;
        o.TokenValidationParameters.RoleClaimType = tokens.RoleClaim;
        o.Events = new JwtBearerEvents
        {
            // "user:NAME", like "api-key:NAME", so the audit log says what kind of actor it was.
            OnTokenValidated = context =>
            {
                ClaimsPrincipal principal = context.Principal!;
                string name = principal.FindFirst("preferred_username")?.Value
                    ?? principal.FindFirst("name")?.Value
                    ?? principal.FindFirst("sub")?.Value
                    ?? "unknown";
                var identity = new ClaimsIdentity(principal.Claims, JwtBearerDefaults.AuthenticationScheme, ActorClaim, tokens.RoleClaim);
                identity.AddClaim(new Claim(ActorClaim, $"user:{name}"));
                context.Principal = new ClaimsPrincipal(identity);
                return Task.CompletedTask;
            },
        };
    }

    /// <summary>Logs each 401 and 403 with what was asked and by whom, then answers as usual.</summary>
    private sealed partial class LoggingAuthorizationResultHandler(ILogger<LoggingAuthorizationResultHandler> logger) : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Challenged)
            {
                AuthenticateResult? authentication = context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult;
                LogUnauthenticated(logger, context.Request.Method, context.Request.Path, context.Connection.RemoteIpAddress?.ToString(), authentication?.Failure?.Message ?? "no credential");
            }
            else if (authorizeResult.Forbidden)
            {
                LogForbidden(logger, context.Request.Method, context.Request.Path, context.User.Identity?.Name, RoleOf(context.User));
            }

            await _default.HandleAsync(next, context, policy, authorizeResult);
        }

        private static string RoleOf(ClaimsPrincipal user) =>
            user.Identity is ClaimsIdentity identity ? identity.FindFirst(identity.RoleClaimType)?.Value ?? "none" : "none";

        [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Refused {Method} {Path} from {Client}: not signed in ({Reason}).")]
        private static partial void LogUnauthenticated(ILogger logger, string method, string path, string? client, string reason);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Refused {Method} {Path} for {Actor}: role {Role} may not do this.")]
        private static partial void LogForbidden(ILogger logger, string method, string path, string? actor, string role);
    }
}
