using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using OpenTunnel.Identity.Credentials;
using OpenTunnel.Identity.Tokens;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Endpoints;

/// <summary>
/// Where a person signs in: the device-flow verification page (RFC 8628 section 3.3: enter the
/// code shown on the device, sign in, and the device's polling succeeds) and the authorization
/// endpoint of the code flow (the web console). Both show <see cref="SignInPage"/> and sign the
/// user in through <see cref="UserSignIn"/>; OpenIddict has already checked the client, the
/// redirect URI, the PKCE challenge and the user code.
/// </summary>
public sealed class InteractiveEndpoints(UserSignIn signIn, TimeProvider time)
{
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
            return VerificationForm($"The code is wrong or has expired; start the sign-in on your device again. ({failed.ErrorDescription})", null, null);
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
            return VerificationForm(error, posted ? Form(http, SignInPage.UserNameField) : null, request.UserCode);
        }

        if (!posted)
        {
            return VerificationForm(null, null, request.UserCode);
        }

        string userName = Form(http, SignInPage.UserNameField) ?? "";
        SignInOutcome outcome = await signIn.SignInAsync(userName, Form(http, SignInPage.PasswordField), Form(http, SignInPage.OneTimeCodeField), ClientAddress(http), http.RequestAborted);
        if (outcome.User is not { } user)
        {
            return VerificationForm(outcome.Error, userName, request.UserCode);
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

    private static IResult VerificationForm(string? error, string? userName, string? userCode) =>
        SignInPage.Form("Sign in a device", "Enter the code your device shows, then sign in to let it connect.", VerificationPath, [], error, userName, askUserCode: true, userCode);

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
