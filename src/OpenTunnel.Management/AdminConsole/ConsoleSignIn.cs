using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using OpenTunnel.Identity.Devices;
using OpenTunnel.Identity.Endpoints;
using OpenTunnel.Identity.Settings;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Settings;
using OpenTunnel.Trust;

namespace OpenTunnel.Management.AdminConsole;

/// <summary>
/// The console's sign-in: the authorization code flow with PKCE (RFC 7636, S256) against the
/// identity provider as the public client <c>opentunnel-console</c>, then a cookie session. The
/// code is exchanged and the person's groups are read (user info) over HTTPS from this service,
/// trusting the system's store or the deployment's CA; the groups give the API's role
/// (<see cref="ConsoleRoles"/>). The pending sign-in (state, verifier, where to return) lives in
/// a data-protected cookie for <see cref="PendingLifetime"/>.
/// </summary>
public sealed partial class ConsoleSignIn(
    IDataProtectionProvider protection,
    IssuerUrls issuer,
    IOptions<ManagementOptions> management,
    ILogger<ConsoleSignIn> logger)
{
    public const string SignInPath = ConsoleSetup.BasePath + "/sign-in";
    public const string CallbackPath = ConsoleSetup.BasePath + "/signed-in";
    public const string SignOutPath = ConsoleSetup.BasePath + "/sign-out";

    /// <summary>The claim holding the identity provider's subject (the user id).</summary>
    public const string SubjectClaim = "sub";

    /// <summary>The claim holding the person's display name.</summary>
    public const string DisplayNameClaim = "display_name";

    public static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(10);

    private const string PendingCookie = "__Host-opentunnel-console-signin";
    private const string Scopes = "openid profile";

    private readonly ITimeLimitedDataProtector _pending = protection.CreateProtector("OpenTunnel.Management.Console.SignIn.v1").ToTimeLimitedDataProtector();

    /// <summary>The redirect URI of the console at <paramref name="baseUrl"/> (scheme, host, path base), as registered for <c>opentunnel-console</c>.</summary>
    public static string RedirectUri(string baseUrl) => baseUrl.TrimEnd('/') + CallbackPath;

    /// <summary>GET /console/sign-in: a new state and PKCE verifier, then off to the authorization endpoint.</summary>
    public IResult Start(HttpContext http, string? returnUrl)
    {
        ArgumentNullException.ThrowIfNull(http);
        string state = Random();
        string verifier = Random();
        string challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var pending = new PendingSignIn(state, verifier, LocalReturnUrl(returnUrl));
        http.Response.Cookies.Append(PendingCookie, _pending.Protect(JsonSerializer.Serialize(pending, ConsoleJson.Default.PendingSignIn), PendingLifetime), new CookieOptions
        {
            HttpOnly = true,
            Secure = true,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            MaxAge = PendingLifetime,
        });
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = IdentityProviderOptions.ConsoleClientId,
            ["redirect_uri"] = RedirectUri(BaseUrl(http)),
            ["scope"] = Scopes,
            ["state"] = state,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        };
        return Results.Redirect(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(issuer.Of(http, InteractiveEndpoints.AuthorizationPath), query));
    }

    /// <summary>GET /console/signed-in: checks the state, redeems the code, reads the groups, and signs the person in with their role.</summary>
    public async Task<IResult> CompleteAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        IQueryCollection query = http.Request.Query;
        PendingSignIn? pending = ReadPending(http);
        http.Response.Cookies.Delete(PendingCookie, new CookieOptions { Secure = true, Path = "/" });
        if (query.TryGetValue("error", out var error))
        {
            return Refuse(http, StatusCodes.Status400BadRequest, $"The identity provider refused the sign-in: {error} {query["error_description"]}".TrimEnd());
        }

        if (pending is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(pending.State), Encoding.ASCII.GetBytes(query["state"].ToString())))
        {
            return Refuse(http, StatusCodes.Status400BadRequest, "This sign-in was not started here or has expired (over 10 minutes); start it again.");
        }

        string code = query["code"].ToString();
        if (code.Length == 0)
        {
            return Refuse(http, StatusCodes.Status400BadRequest, "The identity provider sent no authorization code.");
        }

        UserInfo user;
        try
        {
            user = await RedeemAsync(http, code, pending.Verifier);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or ConsoleSignInException)
        {
            LogExchangeFailed(logger, ex.Message);
            return Refuse(http, StatusCodes.Status502BadGateway, $"The sign-in could not be completed: {ex.Message}");
        }

        ConsoleOptions console = management.Value.Console;
        string? role = ConsoleRoles.For(user.Groups ?? [], console);
        string name = user.PreferredUserName ?? user.Subject;
        if (role is null)
        {
            LogNoRole(logger, name, string.Join(", ", user.Groups ?? []));
            return Refuse(http, StatusCodes.Status403Forbidden,
                $"{name} is signed in, but is in no group of Management:Console:FullAdminGroups or Management:Console:ReadOnlyGroups, so may not use the console.");
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, $"user:{name}"),
                new Claim(ClaimTypes.Role, role),
                new Claim(SubjectClaim, user.Subject),
                new Claim(DisplayNameClaim, user.Name ?? name),
            ],
            ConsoleSetup.CookieScheme,
            ClaimTypes.Name,
            ClaimTypes.Role);
        await http.SignInAsync(ConsoleSetup.CookieScheme, new ClaimsPrincipal(identity));
        LogSignedIn(logger, name, role);
        return Results.Redirect(pending.ReturnUrl);
    }

    /// <summary>POST /console/sign-out (with its anti-forgery token): ends the cookie session.</summary>
    public static async Task<IResult> SignOutAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        await http.SignOutAsync(ConsoleSetup.CookieScheme);
        return Results.Redirect(ConsoleSetup.BasePath + "/signed-out");
    }

    /// <summary>Only a path of the console itself, never another site ("//host", "/\host") or another part of this one.</summary>
    internal static string LocalReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url.StartsWith(ConsoleSetup.BasePath, StringComparison.Ordinal)
            && (url.Length == ConsoleSetup.BasePath.Length || url[ConsoleSetup.BasePath.Length] is '/' or '?')
            && !url.Contains('\\', StringComparison.Ordinal)
            ? url
            : ConsoleSetup.BasePath;

    private static string BaseUrl(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";

    private static string Random() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private static IResult Refuse(HttpContext http, int status, string message) =>
        new Microsoft.AspNetCore.Http.HttpResults.RazorComponentResult<SignInRefused>(new { Message = message }) { StatusCode = status };

    private PendingSignIn? ReadPending(HttpContext http)
    {
        if (!http.Request.Cookies.TryGetValue(PendingCookie, out string? value))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(_pending.Unprotect(value), ConsoleJson.Default.PendingSignIn);
        }
        catch (CryptographicException)
        {
            // Expired, tampered with or from another deployment's keys.
            return null;
        }
    }

    private async Task<UserInfo> RedeemAsync(HttpContext http, string code, string verifier)
    {
        using var client = new HttpClient(Backchannel(), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(30) };
        using var exchange = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = RedirectUri(BaseUrl(http)),
            ["client_id"] = IdentityProviderOptions.ConsoleClientId,
            ["code_verifier"] = verifier,
        });
        using HttpResponseMessage tokenAnswer = await client.PostAsync(new Uri(issuer.Of(http, TokenEndpoint.Path)), exchange, http.RequestAborted);
        TokenAnswer? tokens = await JsonSerializer.DeserializeAsync(await tokenAnswer.Content.ReadAsStreamAsync(http.RequestAborted), ConsoleJson.Default.TokenAnswer, http.RequestAborted);
        if (!tokenAnswer.IsSuccessStatusCode || tokens?.AccessToken is not { Length: > 0 } accessToken)
        {
            throw new ConsoleSignInException($"the token endpoint answered {(int)tokenAnswer.StatusCode}: {tokens?.Error} {tokens?.ErrorDescription}".TrimEnd());
        }

        using var info = new HttpRequestMessage(HttpMethod.Get, new Uri(issuer.Of(http, UserInfoEndpoint.Path)));
        info.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using HttpResponseMessage infoAnswer = await client.SendAsync(info, http.RequestAborted);
        if (!infoAnswer.IsSuccessStatusCode)
        {
            throw new ConsoleSignInException($"the user info endpoint answered {(int)infoAnswer.StatusCode}.");
        }

        UserInfo? user = await JsonSerializer.DeserializeAsync(await infoAnswer.Content.ReadAsStreamAsync(http.RequestAborted), ConsoleJson.Default.UserInfo, http.RequestAborted);
        return user is { Subject.Length: > 0 } ? user : throw new ConsoleSignInException("the user info carries no subject.");
    }

    /// <summary>Trusts what the system trusts (an operator's certificate, a proxy's) or a certificate of the deployment's CA for the host asked.</summary>
    private HttpMessageHandler Backchannel()
    {
        string caFile = Path.Combine(management.Value.DataDirectory, InternalCertificateAuthority.CertificateFileName);
        DeploymentTrust? deployment = File.Exists(caFile) ? DeploymentTrust.FromCaFile(caFile, "Management:DataDirectory") : null;
        return new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                    errors == SslPolicyErrors.None
                    || (deployment is not null && sender is SslStream stream && deployment.Validate(stream.TargetHostName, certificate, chain)),
            },
        };
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Console sign-in of {User} as {Role}.")]
    private static partial void LogSignedIn(ILogger logger, string user, string role);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Console sign-in of {User} refused: in no administrator group (groups: {Groups}).")]
    private static partial void LogNoRole(ILogger logger, string user, string groups);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Console sign-in failed at the code exchange: {Reason}")]
    private static partial void LogExchangeFailed(ILogger logger, string reason);
}

/// <summary>A sign-in under way: what the callback checks and needs.</summary>
internal sealed record PendingSignIn(string State, string Verifier, string ReturnUrl);

/// <summary>The token endpoint's answer, as far as the console reads it (RFC 6749 §5.1, §5.2).</summary>
internal sealed record TokenAnswer(
    [property: JsonPropertyName("access_token")] string? AccessToken,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("error_description")] string? ErrorDescription);

/// <summary>The user info answer (OIDC Core §5.3): the subject, names and groups.</summary>
internal sealed record UserInfo(
    [property: JsonPropertyName("sub")] string Subject,
    [property: JsonPropertyName("preferred_username")] string? PreferredUserName,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("groups")] List<string>? Groups);

/// <summary>Why a sign-in could not be completed, for the page and the log.</summary>
internal sealed class ConsoleSignInException(string message) : Exception(message);

[JsonSerializable(typeof(PendingSignIn))]
[JsonSerializable(typeof(TokenAnswer))]
[JsonSerializable(typeof(UserInfo))]
internal sealed partial class ConsoleJson : JsonSerializerContext;
