using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Identity.Credentials;
using OpenTunnel.Identity.Tokens;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Endpoints;

/// <summary>
/// Where a person signs in: the device-flow verification page (RFC 8628 section 3.3: enter the
/// code shown on the device, sign in, see what asks to be signed in and allow it, and the device's
/// polling succeeds; every post carries an anti-forgery token) and the authorization
/// endpoint of the code flow (the web console). Both show <see cref="SignInPage"/> and sign the
/// user in through <see cref="UserSignIn"/>; OpenIddict has already checked the client, the
/// redirect URI, the PKCE challenge and the user code.
/// </summary>
public sealed class InteractiveEndpoints(UserSignIn signIn, IUserDirectory users, IAntiforgery antiforgery, IDataProtectionProvider protection, TimeProvider time)
{
    /// <summary>How long the consent page may stay open between the sign-in and the Allow.</summary>
    private static readonly TimeSpan ConsentTicketLifetime = TimeSpan.FromMinutes(5);

    private readonly ITimeLimitedDataProtector _consentTickets = protection.CreateProtector("OpenTunnel.Identity.DeviceConsent.v1").ToTimeLimitedDataProtector();

    public const string VerificationPath = "/connect/verify";
    public const string AuthorizationPath = "/connect/authorize";
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
            return VerificationForm(http, null, null, request.UserCode);
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

        string userName = Form(http, SignInPage.UserNameField) ?? "";
        SignInOutcome outcome = await signIn.SignInAsync(userName, Form(http, SignInPage.PasswordField), Form(http, SignInPage.OneTimeCodeField), ClientAddress(http), http.RequestAborted);
        if (outcome.User is not { } user)
        {
            return VerificationForm(http, outcome.Error, userName, request.UserCode);
        }

        // Signed in, not yet approved: the person sees what asks to sign in and chooses (RFC 8628 section 5.4).
        string ticket = _consentTickets.Protect($"{user.Id}\n{request.UserCode}", ConsentTicketLifetime);
        return SignInPage.Consent(VerificationPath, WithAntiforgery(http, [new("user_code", request.UserCode), new(SignInPage.ConsentTicketField, ticket)]),
        [
            new("Signed in as", user.Name),
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
        try
        {
            string[] parts = _consentTickets.Unprotect(Form(http, SignInPage.ConsentTicketField) ?? "").Split('\n');
            signedIn = parts.Length == 2 && parts[1] == userCode ? parts[0] : null;
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

        if (!HttpMethods.IsPost(http.Request.Method) || !http.Request.HasFormContentType || !http.Request.Form.ContainsKey(SignInPage.PasswordField))
        {
            return AuthorizationForm(request, null, null);
        }

        string userName = Form(http, SignInPage.UserNameField) ?? "";
        SignInOutcome outcome = await signIn.SignInAsync(userName, Form(http, SignInPage.PasswordField), Form(http, SignInPage.OneTimeCodeField), ClientAddress(http), http.RequestAborted);
        if (outcome.User is not { } user)
        {
            return AuthorizationForm(request, outcome.Error, userName);
        }

        ClaimsIdentity identity = TokenIdentities.ForUser(user, time.GetUtcNow());
        identity.SetScopes(request.GetScopes());
        TokenIdentities.SetDestinations(identity);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private IResult VerificationForm(HttpContext http, string? error, string? userName, string? userCode) =>
        SignInPage.Form("Sign in a device", "Enter the code your device shows, then sign in to let it connect.", VerificationPath, WithAntiforgery(http, []), error, userName, askUserCode: true, userCode);

    /// <summary>The hidden fields plus this browser's anti-forgery request token (its cookie is set on the answer).</summary>
    private List<KeyValuePair<string, string?>> WithAntiforgery(HttpContext http, List<KeyValuePair<string, string?>> hidden)
    {
        AntiforgeryTokenSet tokens = antiforgery.GetAndStoreTokens(http);
        hidden.Add(new(tokens.FormFieldName, tokens.RequestToken));
        return hidden;
    }

    private static IResult AuthorizationForm(OpenIddictRequest request, string? error, string? userName)
    {
        var hidden = new List<KeyValuePair<string, string?>>();
        foreach ((string name, OpenIddictParameter value) in request.GetParameters())
        {
            if (!SignInPage.IsInputField(name))
            {
                hidden.Add(new(name, (string?)value));
            }
        }

        return SignInPage.Form("Sign in", $"Sign in to continue to {request.ClientId}.", AuthorizationPath, hidden, error, userName);
    }

    private static string? Form(HttpContext http, string name) =>
        http.Request.HasFormContentType && http.Request.Form.TryGetValue(name, out var value) ? value.ToString() : null;

    private static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
