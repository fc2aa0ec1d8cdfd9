using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using OpenTunnel.Identity.Settings;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Settings;

namespace OpenTunnel.Management.AdminConsole;

/// <summary>
/// The web console under <see cref="BasePath"/> (docs/console.md): Razor components rendered on the
/// server (static rendering, enhanced forms), signed in through <see cref="ConsoleSignIn"/> with a
/// cookie of its own, the API's two roles, anti-forgery on every form, and a Content-Security-Policy
/// that allows this origin's own files only.
/// </summary>
public static partial class ConsoleSetup
{
    public const string BasePath = "/console";
    public const string CookieScheme = "Console";
    public const string ReadPolicy = "console-read";
    public const string WritePolicy = "console-write";

    /// <summary>
    /// Only this origin's scripts, styles, images and requests; no inline script or style, no
    /// framing, forms post back here only.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'self'";

    public static IServiceCollection AddManagementConsole(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddScoped<ConsoleSignIn>();
        services.AddAuthentication().AddCookie(CookieScheme);
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme).Configure<IOptions<ManagementOptions>>((o, management) =>
        {
            o.Cookie.Name = "__Host-opentunnel-console";
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.Path = "/";
            o.ExpireTimeSpan = management.Value.Console.SessionLifetime;
            o.SlidingExpiration = false;
            o.LoginPath = ConsoleSignIn.SignInPath;
            o.ReturnUrlParameter = "returnUrl";
            o.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(ReadPolicy, p => p.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser().RequireRole(ManagementRoles.ReadOnly, ManagementRoles.FullAdmin))
            .AddPolicy(WritePolicy, p => p.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser().RequireRole(ManagementRoles.FullAdmin));

        // With an issuer configured, the console at that address is a registered redirect URI without further settings.
        services.AddOptions<IdentityProviderOptions>().PostConfigure(identity =>
        {
            if (identity.Issuer is { } issuer && ConsoleSignIn.RedirectUri(issuer) is var redirect && !identity.ConsoleRedirectUris.Contains(redirect))
            {
                identity.ConsoleRedirectUris.Add(redirect);
            }
        });
        return services;
    }

    /// <summary>Security headers on every console answer, and a refusal (403) of any change posted by a read-only administrator.</summary>
    public static WebApplication UseManagementConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(BasePath) || context.Request.Path.StartsWithSegments("/_framework"))
            {
                IHeaderDictionary headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-store";
            }

            await next(context);
        });
        app.UseWhen(IsConsoleChange, branch => branch.Use(RefuseReadOnlyAsync));
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapManagementConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(ConsoleSignIn.SignInPath, (HttpContext http, string? returnUrl, ConsoleSignIn signIn) => signIn.Start(http, returnUrl))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapGet(ConsoleSignIn.CallbackPath, (HttpContext http, ConsoleSignIn signIn) => signIn.CompleteAsync(http))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapPost(ConsoleSignIn.SignOutPath, async (HttpContext http, IAntiforgery antiforgery) =>
                await antiforgery.IsRequestValidAsync(http)
                    ? await ConsoleSignIn.SignOutAsync(http)
                    : Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The form's anti-forgery token is missing or wrong.", detail: "Reload the page and sign out again."))
            .RequireAuthorization(ReadPolicy).DisableAntiforgery().ExcludeFromDescription();
        // The manifest is named after this assembly, also where another program hosts the service
        // in its process (the agent's tests), whose application name would name another file.
        app.MapStaticAssets(Path.Combine(AppContext.BaseDirectory, typeof(ConsoleSetup).Assembly.GetName().Name + ".staticwebassets.endpoints.json"));
        app.MapServerLogDownload();
        app.MapConfigurationValidation();
        app.MapRazorComponents<ConsoleApp>().RequireAuthorization(ReadPolicy);
        return app;
    }

    private static bool IsConsoleChange(HttpContext context) =>
        HttpMethods.IsPost(context.Request.Method)
        && context.Request.Path.StartsWithSegments(BasePath)
        && !context.Request.Path.StartsWithSegments(ConsoleSignIn.SignOutPath);

    /// <summary>A read-only administrator sees no form that changes anything; one posted anyway is refused here, before any page runs.</summary>
    private static async Task RefuseReadOnlyAsync(HttpContext context, RequestDelegate next)
    {
        AuthenticateResult signedIn = await context.AuthenticateAsync(CookieScheme);
        if (signedIn.Principal is { } user && !user.IsInRole(ManagementRoles.FullAdmin))
        {
            ILogger logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleSetup));
            LogReadOnlyChange(logger, context.Request.Path, user.Identity?.Name);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync($"{user.Identity?.Name} is a read-only administrator and may not change anything.", context.RequestAborted);
            return;
        }

        await next(context);
    }

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Refused console change POST {Path} for {Actor}: role read-only may not do this.")]
    private static partial void LogReadOnlyChange(ILogger logger, string path, string? actor);
}
