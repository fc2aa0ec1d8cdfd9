using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Web;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Protocol.Auth;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Gateway.SignIn;

/// <summary>
/// The gateway's side of the browser sign-in (docs/authentication.md, "Browser sign-in"):
/// <list type="number">
/// <item>a client posts its init to <see cref="FormPath"/> with an ephemeral key
/// (<c>X-AnyConnect-STRAP-DH-Pubkey</c>, openconnect 9 sends it on every request): it gets the
/// single-sign-on form whose login URL is the provider's authorization request (code flow, PKCE
/// S256, <c>state</c> = the attempt);</item>
/// <item>the provider sends the browser back to <see cref="BrowserSignInOptions.CallbackPath"/>; the
/// gateway exchanges the code at the token endpoint (conditional access runs there, as for every
/// token the provider issues), checks the access token as any other and sends the browser to
/// openconnect's listener, <c>http://localhost:29786/api/sso/SEALED</c>, with the one-time
/// sign-in token sealed to the client's key;</item>
/// <item>openconnect opens it and posts it as <c>sso-token</c>; <see cref="SignInService.SignInWithBrowserToken"/>
/// redeems it for a session.</item>
/// </list>
/// Every refusal is logged and counted like a token refusal, with the check <c>sso-*</c> or
/// <c>token-*</c>, and the browser shows the reason.
/// </summary>
public sealed class BrowserSignIn(SignInService signIn)
{
    /// <summary>The path a client connects to for a browser sign-in: <c>openconnect --external-browser=… https://GATEWAY/sso</c>.</summary>
    public const string FormPath = "/sso";

    /// <summary>Where the browser lands after openconnect took the token (openconnect's listener redirects to it).</summary>
    public const string DonePath = "/+sso/done";

    /// <summary>openconnect's listener for the sealed token (external-browser.c).</summary>
    public const string ClientListener = "http://localhost:29786/api/sso/";

    /// <summary>The client's key header (openconnect cstp.c sends it with every request of the sign-in).</summary>
    public const string ClientKeyHeader = "X-AnyConnect-STRAP-DH-Pubkey";

    /// <summary>The cookie name the form names for embedded-browser clients; nothing sets it, openconnect's external mode never reads it.</summary>
    private const string TokenCookieName = "opentunnel-sso-token";

    private BrowserSignInAttempts Attempts => signIn.BrowserAttempts;

    /// <summary>The single-sign-on form for an init posted to <see cref="FormPath"/>, or an answer that says why there is none.</summary>
    public HttpResponse Offer(HttpRequestHead head, IPEndPoint client, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(options);
        BrowserSignInOptions browser = options.BrowserSignIn;
        if (!browser.Enabled)
        {
            signIn.Refused(client, "sso-disabled", "a browser sign-in was asked for, and BrowserSignIn:Enabled is false");
            return Page(404, "Not Found", "Browser sign-in is not enabled on this gateway.");
        }

        if (!SsoTokenSeal.TryReadClientKey(head[ClientKeyHeader], out var key, out string? error))
        {
            signIn.Refused(client, "sso-no-client-key", error! + " (openconnect 9.0 or later sends it)");
            return Page(400, "Bad Request", $"This client cannot do a browser sign-in: {error}.");
        }

        if (Attempts.Start(key, TimeSpan.FromSeconds(browser.AttemptSeconds)) is not { } attempt)
        {
            signIn.Refused(client, "sso-busy", $"{BrowserSignInAttempts.MaxAttempts} browser sign-ins are under way");
            return Page(503, "Service Unavailable", "Too many sign-ins are under way; try again in a minute.");
        }

        string site = browser.Site ?? options.Auth.RequiredSite ?? string.Empty;
        var query = HttpUtility.ParseQueryString(string.Empty);
        query["response_type"] = "code";
        query["client_id"] = browser.ClientId;
        query["redirect_uri"] = browser.RedirectUri;
        query["scope"] = browser.Scope;
        query["state"] = attempt.Id;
        query["code_challenge"] = attempt.CodeChallenge;
        query["code_challenge_method"] = "S256";
        if (site.Length > 0)
        {
            query["site"] = site;
        }

        string login = browser.AuthorizationEndpoint + (browser.AuthorizationEndpoint!.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query;
        return new HttpResponse(200, "OK").Content("text/xml; charset=utf-8",
            AuthXml.BuildBrowserSignInForm(FormPath, attempt.Id, login, browser.PublicUrl!.TrimEnd('/') + DonePath, TokenCookieName, options.Banner));
    }

    /// <summary>
    /// The provider's answer in the browser: exchange the code, check the token, then send the
    /// browser to openconnect's listener with the sealed sign-in token; or a page saying why not.
    /// </summary>
    public async Task<HttpResponse> CallbackAsync(HttpRequestHead head, IPEndPoint client, GatewayOptions options, IAccessTokenValidator validator, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(options);
        BrowserSignInOptions browser = options.BrowserSignIn;
        if (!browser.Enabled)
        {
            return Page(404, "Not Found", "Browser sign-in is not enabled on this gateway.");
        }

        int q = head.Target.IndexOf('?', StringComparison.Ordinal);
        var query = HttpUtility.ParseQueryString(q < 0 ? string.Empty : head.Target[(q + 1)..]);
        if (Attempts.FindOpen(query["state"]) is not { } attempt)
        {
            signIn.Refused(client, BrowserSignInAttempts.UnknownAttempt, "the identity provider's answer names no browser sign-in under way (unknown, finished or expired: BrowserSignIn:AttemptSeconds)");
            return Page(400, "Bad Request", "This sign-in is unknown or has expired. Start the VPN connection again.");
        }

        if (query["error"] is { } providerError)
        {
            string why = Quote(query["error_description"] ?? providerError);
            signIn.Refused(client, "sso-provider-refused", $"the identity provider answered {Quote(providerError)}: {why}");
            return Page(403, "Forbidden", $"The identity provider refused the sign-in: {why}");
        }

        if (query["code"] is not { Length: > 0 } code)
        {
            signIn.Refused(client, "sso-provider-refused", "the identity provider's answer has no code");
            return Page(400, "Bad Request", "The identity provider's answer has no code. Start the VPN connection again.");
        }

        (string? accessToken, string? refusal) = await ExchangeAsync(browser, options.Auth, attempt, code, cancellationToken);
        if (accessToken is null)
        {
            signIn.Refused(client, "sso-provider-refused", refusal!);
            return Page(403, "Forbidden", $"No access: {refusal}");
        }

        var outcome = await signIn.CheckTokenAsync(accessToken, client, validator, options.Limits, cancellationToken);
        if (outcome is null)
        {
            return Page(403, "Forbidden", "The gateway refused the access token the identity provider issued; the gateway's log says which check refused it.");
        }

        if (Attempts.Complete(attempt.Id, outcome, TimeSpan.FromSeconds(browser.TokenSeconds)) is not { } token)
        {
            signIn.Refused(client, BrowserSignInAttempts.UnknownAttempt, "the browser sign-in expired or was completed while its code was exchanged");
            return Page(400, "Bad Request", "This sign-in has expired or was completed before. Start the VPN connection again.");
        }

        string sealedToken = SsoTokenSeal.Seal(attempt.ClientKey, token);
        string location = ClientListener + Uri.EscapeDataString(sealedToken) + "?return=" + Uri.EscapeDataString(browser.PublicUrl!.TrimEnd('/') + DonePath);
        return new HttpResponse(302, "Found").Header("Location", location).Header("Cache-Control", "no-store").Content("text/html; charset=utf-8",
            Html("Signing in", "Handing the sign-in to the VPN client…"));
    }

    /// <summary>The page the browser ends on once openconnect took the token.</summary>
    public static HttpResponse Done() => Page(200, "OK", "You are signed in to the VPN; you may close this page.");

    /// <summary>The authorization code grant with the attempt's PKCE verifier (RFC 6749 section 4.1.3, RFC 7636 section 4.5); the token, or why there is none.</summary>
    private async Task<(string? Token, string? Refusal)> ExchangeAsync(BrowserSignInOptions browser, AuthOptions auth, BrowserSignInAttempt attempt, string code, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = browser.RedirectUri,
            ["client_id"] = browser.ClientId,
            ["code_verifier"] = attempt.CodeVerifier,
        };
        if ((browser.Site ?? auth.RequiredSite) is { Length: > 0 } site)
        {
            form["site"] = site;
        }

        var trust = auth.Trust();
        using var http = trust is null ? new HttpClient() : new HttpClient(trust.CreateHandler());
        http.Timeout = TimeSpan.FromSeconds(browser.TokenRequestTimeoutSeconds);
        try
        {
            using var content = new FormUrlEncodedContent(form);
            using HttpResponseMessage response = await http.PostAsync(new Uri(browser.TokenEndpoint!), content, cancellationToken);
            TokenAnswer? answer = null;
            try
            {
                answer = await response.Content.ReadFromJsonAsync(BrowserSignInJson.Default.TokenAnswer, cancellationToken);
            }
            catch (System.Text.Json.JsonException)
            {
                // Told below with the status.
            }

            if (response.IsSuccessStatusCode && answer?.AccessToken is { Length: > 0 } token)
            {
                return (token, null);
            }

            return answer?.Error is { } error
                ? (null, $"the identity provider's token endpoint answered {Quote(error)}: {Quote(answer.ErrorDescription ?? "no description")}")
                : (null, $"the identity provider's token endpoint answered {(int)response.StatusCode} without an access token");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, $"the identity provider's token endpoint {browser.TokenEndpoint} could not be reached: {e.Message}");
        }
    }

    /// <summary>Text from the provider, cut and without control characters, for a log line or a page.</summary>
    private static string Quote(string text)
    {
        string cut = text.Length > 200 ? text[..200] + "…" : text;
        return string.Create(cut.Length, cut, (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
    }

    private static HttpResponse Page(int status, string reason, string message) =>
        new HttpResponse(status, reason).Header("Cache-Control", "no-store").Content("text/html; charset=utf-8", Html(status == 200 ? "Signed in" : "Sign-in failed", message));

    private static string Html(string title, string message) =>
        $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(title)}</title></head><body><h1>{WebUtility.HtmlEncode(title)}</h1><p id=\"message\">{WebUtility.HtmlEncode(message)}</p></body></html>\n";

    internal sealed record TokenAnswer(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("error")] string? Error,
        [property: JsonPropertyName("error_description")] string? ErrorDescription);
}

/// <summary>The token endpoint's answer as JSON, generated at build time for the gateway's native build.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(BrowserSignIn.TokenAnswer))]
internal sealed partial class BrowserSignInJson : JsonSerializerContext;
