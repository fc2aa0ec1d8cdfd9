using System.Xml;
using System.Xml.Linq;

namespace OpenTunnel.Protocol.Auth;

/// <summary>What the server answered to an auth request.</summary>
public enum AuthOutcome
{
    /// <summary>A form to fill in (another step of the sign-in).</summary>
    Form,

    /// <summary><c>auth id="success"</c>: signed in; the session cookie came with the response.</summary>
    Success,
}

/// <summary>One input of an auth form: <c>&lt;input type name value&gt;</c> or a <c>&lt;select&gt;</c> with its first option.</summary>
public sealed record AuthInput(string Type, string Name, string? Value);

/// <summary>An auth-request form: where to post the reply, its inputs, and the opaque element to echo.</summary>
public sealed record AuthForm(string Action, IReadOnlyList<AuthInput> Inputs, XElement? Opaque, string? Message);

/// <summary>
/// The XML of the AnyConnect aggregate-auth exchange as openconnect 9.01 speaks it (auth.c):
/// the client's init and auth-reply, and the server's auth-request and complete messages.
/// </summary>
public static class AuthMessages
{
    /// <summary>The version string servers see; ocserv treats "Open AnyConnect VPN Agent" as openconnect.</summary>
    public const string UserAgent = "Open AnyConnect VPN Agent v9.01 (OpenTunnel)";

    private const string ClientVersion = "v9.01";
    private const string DeviceId = "linux-64";

    /// <summary>The first POST: <c>config-auth type="init"</c> with the URL the client was given.</summary>
    public static string Init(string groupAccessUrl) =>
        Document(new XElement(
            "config-auth",
            new XAttribute("client", "vpn"),
            new XAttribute("type", "init"),
            new XAttribute("aggregate-auth-version", "2"),
            new XElement("version", new XAttribute("who", "vpn"), ClientVersion),
            new XElement("device-id", DeviceId),
            new XElement("group-access", groupAccessUrl),
            new XElement("capabilities")));

    /// <summary>
    /// The reply to <paramref name="form"/>: one element per input with the value
    /// <paramref name="fill"/> chooses (null keeps the input's own value), plus the opaque element unchanged.
    /// </summary>
    public static string Reply(AuthForm form, Func<AuthInput, string?> fill)
    {
        var auth = new XElement("auth");
        foreach (var input in form.Inputs)
        {
            auth.Add(new XElement(input.Name, fill(input) ?? input.Value ?? string.Empty));
        }

        var root = new XElement(
            "config-auth",
            new XAttribute("client", "vpn"),
            new XAttribute("type", "auth-reply"),
            new XAttribute("aggregate-auth-version", "2"),
            new XElement("version", new XAttribute("who", "vpn"), ClientVersion),
            new XElement("device-id", DeviceId));
        if (form.Opaque is not null)
        {
            root.Add(new XElement(form.Opaque));
        }

        root.Add(auth);
        return Document(root);
    }

    /// <summary>
    /// Reads a server's auth response. Throws <see cref="FormatException"/> saying what is wrong
    /// when it is not XML, has no <c>&lt;auth&gt;</c>, or is a form without an action.
    /// </summary>
    public static AuthOutcome Parse(string xml, out AuthForm? form)
    {
        form = null;
        XDocument document;
        try
        {
            document = XDocument.Parse(xml);
        }
        catch (XmlException e)
        {
            throw new FormatException($"The auth response is not XML: {e.Message}", e);
        }

        var root = document.Root!;
        var auth = root.Element("auth") ?? throw new FormatException($"The auth response (type '{(string?)root.Attribute("type")}') has no <auth> element.");
        if ((string?)auth.Attribute("id") == "success")
        {
            return AuthOutcome.Success;
        }

        var formElement = auth.Element("form") ?? throw new FormatException($"The auth request (auth id '{(string?)auth.Attribute("id")}') has neither a form nor success.");
        string action = (string?)formElement.Attribute("action") ?? throw new FormatException("The auth form has no action.");
        var inputs = new List<AuthInput>();
        foreach (var element in formElement.Elements())
        {
            string? name = (string?)element.Attribute("name");
            if (name is null)
            {
                continue;
            }

            if (element.Name.LocalName == "input")
            {
                inputs.Add(new AuthInput((string?)element.Attribute("type") ?? "text", name, (string?)element.Attribute("value")));
            }
            else if (element.Name.LocalName == "select")
            {
                // openconnect picks the first option when it is not told otherwise (--authgroup).
                inputs.Add(new AuthInput("select", name, (string?)element.Element("option")?.Attribute("value") ?? element.Element("option")?.Value));
            }
        }

        form = new AuthForm(action, inputs, root.Element("opaque"), (string?)auth.Element("message"));
        return AuthOutcome.Form;
    }

    private static string Document(XElement root) =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + root.ToString(SaveOptions.DisableFormatting);
}
