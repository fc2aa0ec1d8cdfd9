using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;

namespace OpenTunnel.Identity.Endpoints;

/// <summary>
/// The provider's one HTML page: a sign-in form (user name, password, one-time code, and a button
/// per upstream provider) posted back
/// to the endpoint that showed it, carrying that request's parameters as hidden fields. No
/// scripts, no external resources; every value is HTML-encoded.
/// </summary>
public static class SignInPage
{
    public const string UserNameField = "username";
    public const string PasswordField = "password";
    public const string OneTimeCodeField = "otp";

    /// <summary>The button of an upstream provider posts its name in this field.</summary>
    public const string UpstreamField = "upstream";

    /// <summary>Form fields that are the person's input, never carried over as hidden request parameters.</summary>
    public static bool IsInputField(string name) => name is UserNameField or PasswordField or OneTimeCodeField or UpstreamField;

    /// <summary>
    /// The sign-in form: the user name, password and one-time code fields when
    /// <paramref name="localAccounts"/> are on, and a "Sign in with NAME" button for each of
    /// <paramref name="upstreams"/> (it posts the same form, with the request's parameters, naming the upstream).
    /// </summary>
    public static IResult Form(
        string title, string explanation, string action, IEnumerable<KeyValuePair<string, string?>> hidden, string? error, string? userName,
        bool localAccounts, IReadOnlyList<string> upstreams, bool askUserCode = false, string? userCode = null)
    {
        ArgumentNullException.ThrowIfNull(upstreams);
        ArgumentNullException.ThrowIfNull(hidden);
        HtmlEncoder html = HtmlEncoder.Default;
        var body = new StringBuilder();
        body.Append("<h1>").Append(html.Encode(title)).Append("</h1><p>").Append(html.Encode(explanation)).Append("</p>");
        if (error is not null)
        {
            body.Append("<p role=\"alert\" class=\"error\">").Append(html.Encode(error)).Append("</p>");
        }

        FormStart(body, html, action, hidden);

        if (askUserCode)
        {
            Field(body, html, "user_code", "Code shown on your device", "text", userCode, "one-time-code");
        }

        if (localAccounts)
        {
            Field(body, html, UserNameField, "User name", "text", userName, "username");
            Field(body, html, PasswordField, "Password", "password", null, "current-password");
            Field(body, html, OneTimeCodeField, "One-time code (if you use an authenticator app)", "text", null, "one-time-code");
            body.Append("<p><button type=\"submit\">Sign in</button></p>");
        }

        foreach (string upstream in upstreams)
        {
            body.Append("<p><button type=\"submit\" name=\"").Append(UpstreamField).Append("\" value=\"").Append(html.Encode(upstream)).Append("\">Sign in with ")
                .Append(html.Encode(upstream)).Append("</button></p>");
        }

        body.Append("</form>");
        return Page(title, body.ToString(), error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    public const string ConsentField = "consent";
    public const string ConsentTicketField = "consent_ticket";
    public const string Allow = "allow";
    public const string Deny = "deny";

    /// <summary>
    /// The consent step of the device flow: what asks to be signed in (each fact a label and a
    /// value), and two buttons, Allow and Deny, posted back with the hidden fields.
    /// </summary>
    public static IResult Consent(string action, IEnumerable<KeyValuePair<string, string?>> hidden, IEnumerable<KeyValuePair<string, string>> facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        HtmlEncoder html = HtmlEncoder.Default;
        var body = new StringBuilder("<h1>Allow this device to sign in as you?</h1><dl>");
        foreach ((string label, string value) in facts)
        {
            body.Append("<dt>").Append(html.Encode(label)).Append("</dt><dd>").Append(html.Encode(value)).Append("</dd>");
        }

        body.Append("</dl><p>Allow it only if you started this sign-in yourself, just now, on a device you hold. ")
            .Append("If someone sent you a code to enter here, deny: they would be signed in as you.</p>");
        FormStart(body, html, action, hidden);
        body.Append("<button type=\"submit\" name=\"").Append(ConsentField).Append("\" value=\"").Append(Allow).Append("\">Allow</button> ")
            .Append("<button type=\"submit\" name=\"").Append(ConsentField).Append("\" value=\"").Append(Deny).Append("\">Deny</button></form>");
        return Page("Allow this device?", body.ToString(), StatusCodes.Status200OK);
    }

    public static IResult Message(string title, string message, int status = StatusCodes.Status200OK) =>
        Page(title, $"<h1>{HtmlEncoder.Default.Encode(title)}</h1><p>{HtmlEncoder.Default.Encode(message)}</p>", status);

    private static void FormStart(StringBuilder body, HtmlEncoder html, string action, IEnumerable<KeyValuePair<string, string?>> hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        body.Append("<form method=\"post\" action=\"").Append(html.Encode(action)).Append("\">");
        foreach ((string name, string? value) in hidden)
        {
            body.Append("<input type=\"hidden\" name=\"").Append(html.Encode(name)).Append("\" value=\"").Append(html.Encode(value ?? "")).Append("\">");
        }
    }

    private static void Field(StringBuilder body, HtmlEncoder html, string name, string label, string type, string? value, string autocomplete) =>
        body.Append("<p><label>").Append(html.Encode(label)).Append("<br><input name=\"").Append(name).Append("\" type=\"").Append(type)
            .Append("\" autocomplete=\"").Append(autocomplete).Append("\" value=\"").Append(html.Encode(value ?? "")).Append("\"></label></p>");

    private static IResult Page(string title, string body, int status) => Results.Content(
        $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{HtmlEncoder.Default.Encode(title)} - OpenTunnel</title></head><body>{body}</body></html>",
        "text/html; charset=utf-8", Encoding.UTF8, status);
}
