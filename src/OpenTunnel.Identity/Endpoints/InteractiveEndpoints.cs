using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using OpenIddict.Abstractions;
using OpenIddict.Client.AspNetCore;
using OpenIddict.Server.AspNetCore;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Identity.Credentials;
using OpenTunnel.Identity.Federation;
using OpenTunnel.Identity.Settings;
using OpenTunnel.Identity.Tokens;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Endpoints;

/// <summary>
/// Where a person signs in: the device-flow verification page (RFC 8628 section 3.3: enter the
/// code shown on the device, sign in, see what asks to be signed in and allow it, and the device's
/// polling succeeds; every post carries an anti-forgery token) and the authorization
/// endpoint of the code flow (the web console). Both show <see cref="SignInPage"/> and sign the
/// user in through <see cref="UserSignIn"/>, or send the person to an upstream provider and take
/// the user <see cref="UpstreamSignIn"/> matched back; OpenIddict has already checked the client, the
/// redirect URI, the PKCE challenge and the user code.
/// </summary>
public sealed class InteractiveEndpoints(
    UserSignIn signIn, UpstreamSignIn upstreams, IdentityProviderOptions options, IUserDirectory users, IAntiforgery antiforgery, IDataProtectionProvider protection, TimeProvider time)
{
    /// <summary>How long the consent page may stay open between the sign-in and the Allow.</summary>
    private static readonly TimeSpan ConsentTicketLifetime = TimeSpan.FromMinutes(5);

    private readonly ITimeLimitedDataProtector _consentTickets = protection.CreateProtector("OpenTunnel.Identity.DeviceConsent.v1").ToTimeLimitedDataProtector();

    public const string VerificationPath = "/connect/verify";
    public const string AuthorizationPath = "/connect/authorize";

    /// <summary>Where upstream providers send the person back (the redirect URI to register at each upstream: ISSUER + this path).</summary>
    public const string UpstreamCallbackPath = "/connect/upstream/callback";
    private const string ApprovedMarker = "approved";

    public async Task<IResult> VerifyAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        OpenIddictRequest request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("The OpenIddict server request is missing.");
        if (http.GetOpenIddictServerResponse() is { Error: not null } failed)
        {
            // An unknown, expired or already used user code (RFC 8628 section 3.3): ask for it again.
            return VerificationForm(http, $"The code is wrong or has expired; start the sign-in on your device again. ({failed.ErrorDescription})", null, null);
        }

        if (http.Request.Query.ContainsKey(ApprovedMarker))
        {
            return SignInPage.Message("Device signed in", "You are signed in on your device; you may close this page.");
        }

        AuthenticateResult code = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        bool posted = HttpMethods.IsPost(http.Request.Method);
        // A principal without its device code's id is a user code whose device code is gone (expired): not approvable.
        if (code.Principal is not { } pending || string.IsNullOrEmpty(pending.GetClaim(Claims.Private.DeviceCodeId)))
        {
            string? error = string.IsNullOrEmpty(request.UserCode) ? null : "The code is wrong or has expired; start the sign-in on your device again.";
            return VerificationForm(http, error, posted ? Form(http, SignInPage.UserNameField) : null, request.UserCode);
        }

        if (!posted)
        {
            // Back from an upstream provider: the person signed in there for this user code.
            return await upstreams.TakeOverAsync(http) is { } handed
                ? ConsentPage(http, handed.User, handed.Upstream, pending, request.UserCode!)
                : VerificationForm(http, null, null, request.UserCode);
        }

        // A form posted from another site (login or consent forgery) has no token matching this browser's cookie.
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return VerificationForm(http, "This form has expired or did not come from this page; enter your details again.", Form(http, SignInPage.UserNameField), request.UserCode);
        }

        if (Form(http, SignInPage.ConsentField) is { } consent)
        {
            return await ConsentGivenAsync(http, pending, request.UserCode!, consent);
        }

        if (Form(http, SignInPage.UpstreamField) is { } upstream)
        {
            return ChallengeUpstream(upstream, QueryHelpers.AddQueryString(VerificationPath, "user_code", request.UserCode!))
                ?? VerificationForm(http, $"No upstream provider is named '{upstream}'.", null, request.UserCode);
        }

        string userName = Form(http, SignInPage.UserNameField) ?? "";
        SignInOutcome outcome = await signIn.SignInAsync(userName, Form(http, SignInPage.PasswordField), Form(http, SignInPage.OneTimeCodeField), ClientAddress(http), http.RequestAborted);
        if (outcome.User is not { } user)
        {
            return VerificationForm(http, outcome.Error, userName, request.UserCode);
        }

        return ConsentPage(http, user, null, pending, request.UserCode!);
    }

    /// <summary>Signed in (here or upstream), not yet approved: the person sees what asks to sign in and chooses (RFC 8628 section 5.4).</summary>
    private IResult ConsentPage(HttpContext http, DirectoryUser user, string? upstream, ClaimsPrincipal pending, string userCode)
    {
        string ticket = _consentTickets.Protect($"{user.Id}\n{userCode}\n{upstream}", ConsentTicketLifetime);
        return SignInPage.Consent(VerificationPath, WithAntiforgery(http, [new("user_code", userCode), new(SignInPage.ConsentTicketField, ticket)]),
        [
            new("Signed in as", upstream is null ? user.Name : $"{user.Name} (through {upstream})"),
            new("Application", pending.GetClaim(Claims.ClientId) ?? "unknown"),
            new("Access asked for", string.Join(", ", pending.GetScopes())),
            new("Device name", pending.GetClaim(DeviceRequestDetails.DeviceNameClaim) ?? "(the device gave none)"),
            new("Requested from address", pending.GetClaim(DeviceRequestDetails.RequesterClaim) ?? "unknown"),
            new("This page is open from address", ClientAddress(http)),
        ]);
    }

    /// <summary>The Allow or Deny of the consent page, with the ticket that proves who signed in for this user code a moment ago.</summary>
    private async Task<IResult> ConsentGivenAsync(HttpContext http, ClaimsPrincipal pending, string userCode, string consent)
    {
        string? signedIn = null;
        string? upstream = null;
        try
        {
            string[] parts = _consentTickets.Unprotect(Form(http, SignInPage.ConsentTicketField) ?? "").Split('\n');
            signedIn = parts.Length == 3 && parts[1] == userCode ? parts[0] : null;
            upstream = parts.Length == 3 && parts[2].Length > 0 ? parts[2] : null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // Expired, tampered with or from another page: sign in again.
        }

        if (signedIn is null || !Guid.TryParse(signedIn, out Guid userId) || await users.FindByIdAsync(userId, http.RequestAborted) is not { Enabled: true } user)
        {
            return VerificationForm(http, "The approval has expired; sign in again.", null, userCode);
        }

        if (consent != SignInPage.Allow)
        {
            return SignInPage.Message("Device not signed in", "You denied the sign-in; the device was not signed in. You may close this page.");
        }

        ClaimsIdentity identity = TokenIdentities.ForUser(user, time.GetUtcNow());
        TokenIdentities.SetUpstream(identity, upstream);
        identity.SetScopes(pending.GetScopes());
        TokenIdentities.SetDestinations(identity);
        return Results.SignIn(new ClaimsPrincipal(identity), new AuthenticationProperties { RedirectUri = VerificationPath + "?" + ApprovedMarker }, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    public async Task<IResult> AuthorizeAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        OpenIddictRequest request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("The OpenIddict server request is missing.");
        if (http.GetOpenIddictServerResponse() is { Error: not null } failed)
        {
            // Errors OpenIddict could not send back to a verified redirect URI (unknown client, bad redirect_uri): shown here, never redirected.
            return SignInPage.Message("Sign-in request refused", $"{failed.Error}: {failed.ErrorDescription}", StatusCodes.Status400BadRequest);
        }

        bool posted = HttpMethods.IsPost(http.Request.Method) && http.Request.HasFormContentType;
        if (!posted && await upstreams.TakeOverAsync(http) is { } handed)
        {
            // Back from an upstream provider, which signed the person in for this request.
            return IssueCode(request, handed.User, handed.Upstream);
        }

        if (posted && Form(http, SignInPage.UpstreamField) is { } upstream)
        {
            return ChallengeUpstream(upstream, QueryHelpers.AddQueryString(AuthorizationPath, RequestParameters(request)))
                ?? AuthorizationForm(request, $"No upstream provider is named '{upstream}'.", null);
        }

        if (!posted || !http.Request.Form.ContainsKey(SignInPage.PasswordField))
        {
            return AuthorizationForm(request, null, null);
        }

        string userName = Form(http, SignInPage.UserNameField) ?? "";
        SignInOutcome outcome = await signIn.SignInAsync(userName, Form(http, SignInPage.PasswordField), Form(http, SignInPage.OneTimeCodeField), ClientAddress(http), http.RequestAborted);
        return outcome.User is { } user ? IssueCode(request, user, null) : AuthorizationForm(request, outcome.Error, userName);
    }

    /// <summary>
    /// Where an upstream provider sends the person back: OpenIddict's client has checked the
    /// state, the code and the tokens; the user is matched or created, handed to the page the
    /// sign-in started from (the authorization endpoint or the verification page) and sent back there.
    /// </summary>
    public async Task<IResult> UpstreamCallbackAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        AuthenticateResult result = await http.AuthenticateAsync(OpenIddictClientAspNetCoreDefaults.AuthenticationScheme);
        if (result.Principal is not { } principal || upstreams.Find(principal.GetClaim(Claims.Private.ProviderName)) is not { } upstream)
        {
            string why = http.Request.Query["error_description"].FirstOrDefault() ?? http.Request.Query["error"].FirstOrDefault()
                ?? result.Failure?.Message ?? "the upstream provider's answer is not valid";
            return SignInPage.Message("Sign-in failed", $"Signing in through the upstream provider failed: {why} Start the sign-in again.", StatusCodes.Status400BadRequest);
        }

        string? refreshToken = result.Properties?.GetTokenValue(OpenIddictClientAspNetCoreConstants.Tokens.RefreshToken);
        SignInOutcome outcome = await upstreams.CompleteAsync(upstream, principal, refreshToken, ClientAddress(http), http.RequestAborted);
        if (outcome.User is not { } user)
        {
            return SignInPage.Message("Sign-in refused", outcome.Error ?? "The sign-in was refused.", StatusCodes.Status403Forbidden);
        }

        await UpstreamSignIn.HandOverAsync(http, user, upstream);
        // Only the two pages of this provider start an upstream sign-in; anything else is not followed.
        string back = result.Properties?.RedirectUri is { } uri && (uri.StartsWith(AuthorizationPath + "?", StringComparison.Ordinal) || uri.StartsWith(VerificationPath + "?", StringComparison.Ordinal))
            ? uri
            : VerificationPath;
        return Results.Redirect(back);
    }

    /// <summary>A challenge that sends the person to the upstream named <paramref name="name"/> and back to <paramref name="returnUrl"/>; null when no upstream has that name.</summary>
    private IResult? ChallengeUpstream(string name, string returnUrl)
    {
        if (upstreams.Find(name) is not { } upstream)
        {
            return null;
        }

        var properties = new AuthenticationProperties(new Dictionary<string, string?> { [OpenIddictClientAspNetCoreConstants.Properties.ProviderName] = upstream.Name })
        {
            RedirectUri = returnUrl,
        };
        return Results.Challenge(properties, [OpenIddictClientAspNetCoreDefaults.AuthenticationScheme]);
    }

    private IResult IssueCode(OpenIddictRequest request, DirectoryUser user, string? upstream)
    {
        ClaimsIdentity identity = TokenIdentities.ForUser(user, time.GetUtcNow());
        TokenIdentities.SetUpstream(identity, upstream);
        identity.SetScopes(request.GetScopes());
        TokenIdentities.SetDestinations(identity);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private IResult VerificationForm(HttpContext http, string? error, string? userName, string? userCode) =>
        SignInPage.Form("Sign in a device", "Enter the code your device shows, then sign in to let it connect.", VerificationPath, WithAntiforgery(http, []), error, userName,
            options.LocalAccounts, UpstreamNames, askUserCode: true, userCode);

    private List<string> UpstreamNames => options.Upstreams.ConvertAll(u => u.Name);

    /// <summary>The hidden fields plus this browser's anti-forgery request token (its cookie is set on the answer).</summary>
    private List<KeyValuePair<string, string?>> WithAntiforgery(HttpContext http, List<KeyValuePair<string, string?>> hidden)
    {
        AntiforgeryTokenSet tokens = antiforgery.GetAndStoreTokens(http);
        hidden.Add(new(tokens.FormFieldName, tokens.RequestToken));
        return hidden;
    }

    private IResult AuthorizationForm(OpenIddictRequest request, string? error, string? userName) =>
        SignInPage.Form("Sign in", $"Sign in to continue to {request.ClientId}.", AuthorizationPath, RequestParameters(request), error, userName, options.LocalAccounts, UpstreamNames);

    /// <summary>The authorization request's parameters, without the person's input: the form's hidden fields, and the query to come back to after an upstream sign-in.</summary>
    private static List<KeyValuePair<string, string?>> RequestParameters(OpenIddictRequest request)
    {
        var parameters = new List<KeyValuePair<string, string?>>();
        foreach ((string name, OpenIddictParameter value) in request.GetParameters())
        {
            if (!SignInPage.IsInputField(name))
            {
                parameters.Add(new(name, (string?)value));
            }
        }

        return parameters;
    }

    private static string? Form(HttpContext http, string name) =>
        http.Request.HasFormContentType && http.Request.Form.TryGetValue(name, out var value) ? value.ToString() : null;

    private static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
