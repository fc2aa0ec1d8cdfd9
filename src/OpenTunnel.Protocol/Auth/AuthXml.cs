using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace OpenTunnel.Protocol.Auth;

/// <summary>
/// The aggregate-auth XML of the OpenConnect sign-in (openconnect auth.c <c>parse_xml_response</c>;
/// ocserv worker-auth.c). The client recognises success only by <c>&lt;auth id="success"&gt;</c>
/// and posts an auth-reply with one element per form input.
/// </summary>
public static class AuthXml
{
    /// <summary>The name of the password input that carries an access token in the form path.</summary>
    public const string PasswordField = "password";

    /// <summary>The input of the single-sign-on form that carries the sign-in token back (openconnect: <c>input type="sso"</c>).</summary>
    public const string SsoTokenField = "sso-token";

    /// <summary>The element of the form's <c>opaque</c> that names the browser sign-in; the client echoes the opaque in its reply.</summary>
    public const string SignInAttemptElement = "sso-attempt";

    /// <summary>The largest document read; a real one is well under 4 KB.</summary>
    private const int MaxDocumentCharacters = 64 * 1024;

    /// <summary>
    /// Parses a client's <c>config-auth</c> document. False with <paramref name="error"/> naming
    /// the problem when it is not well-formed XML, has no <c>config-auth</c> root, or carries a DTD.
    /// </summary>
    public static bool TryParseClientMessage(string xml, out ClientAuthMessage? message, out string? error)
    {
        message = null;
        error = null;
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxDocumentCharacters,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
        };
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            var root = XDocument.Load(reader).Root;
            if (root is null || root.Name.LocalName != "config-auth")
            {
                error = "no <config-auth> element";
                return false;
            }

            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.Element("auth") is { } auth)
            {
                foreach (var field in auth.Elements())
                {
                    fields[field.Name.LocalName] = field.Value;
                }
            }

            message = new ClientAuthMessage(
                (string?)root.Attribute("type") ?? string.Empty,
                NullIfEmpty(root.Element("device-id")?.Value),
                NullIfEmpty(root.Element("group-access")?.Value),
                fields)
            {
                SignInAttempt = NullIfEmpty(root.Element("opaque")?.Element(SignInAttemptElement)?.Value),
            };
            return true;
        }
        catch (XmlException e)
        {
            error = "malformed XML: " + e.Message;
            return false;
        }
    }

    /// <summary>
    /// An auth-request with one password input for an access token (the form path, for clients
    /// that cannot answer an RFC 6750 Bearer challenge). The client posts its reply to <paramref name="action"/>.
    /// </summary>
    public static string BuildTokenForm(string action, string message, string? banner) =>
        Write("auth-request", writer =>
        {
            writer.WriteStartElement("auth");
            writer.WriteAttributeString("id", "main");
            writer.WriteElementString("title", "OpenTunnel sign-in");
            writer.WriteElementString("message", message);
            if (!string.IsNullOrEmpty(banner))
            {
                writer.WriteElementString("banner", banner);
            }

            writer.WriteStartElement("form");
            writer.WriteAttributeString("method", "post");
            writer.WriteAttributeString("action", action);
            writer.WriteStartElement("input");
            writer.WriteAttributeString("type", "password");
            writer.WriteAttributeString("name", PasswordField);
            writer.WriteAttributeString("label", "Access token:");
            writer.WriteEndElement();
            writer.WriteEndElement();
            writer.WriteEndElement();
        });

    /// <summary>
    /// The single-sign-on form of AnyConnect's external-browser sign-in (openconnect auth.c
    /// <c>parse_auth_node</c>): <c>sso-v2-login</c> is the page the browser opens,
    /// <c>sso-v2-browser-mode external</c> makes openconnect start the program given with
    /// <c>--external-browser</c> and wait on localhost:29786 for the sealed token, and the
    /// <c>input type="sso"</c> carries the opened token back in the auth-reply, posted to
    /// <paramref name="action"/> with the opaque element that names <paramref name="attempt"/>.
    /// <c>sso-v2-login-final</c> and <c>sso-v2-token-cookie-name</c> serve clients that watch an
    /// embedded browser instead; openconnect requires them to be present either way.
    /// </summary>
    public static string BuildBrowserSignInForm(string action, string attempt, string loginUrl, string finalUrl, string tokenCookieName, string? banner) =>
        Write("auth-request", writer =>
        {
            writer.WriteStartElement("opaque");
            writer.WriteAttributeString("is-for", "sg");
            writer.WriteElementString(SignInAttemptElement, attempt);
            writer.WriteEndElement();
            writer.WriteStartElement("auth");
            writer.WriteAttributeString("id", "main");
            writer.WriteElementString("title", "OpenTunnel sign-in");
            writer.WriteElementString("message", "Sign in with your browser.");
            if (!string.IsNullOrEmpty(banner))
            {
                writer.WriteElementString("banner", banner);
            }

            writer.WriteElementString("sso-v2-login", loginUrl);
            writer.WriteElementString("sso-v2-login-final", finalUrl);
            writer.WriteElementString("sso-v2-token-cookie-name", tokenCookieName);
            writer.WriteElementString("sso-v2-browser-mode", "external");
            writer.WriteStartElement("form");
            writer.WriteAttributeString("method", "post");
            writer.WriteAttributeString("action", action);
            writer.WriteStartElement("input");
            writer.WriteAttributeString("type", "sso");
            writer.WriteAttributeString("name", SsoTokenField);
            writer.WriteEndElement();
            writer.WriteEndElement();
            writer.WriteEndElement();
        });

    /// <summary>The <c>complete</c> document with <c>auth id="success"</c> that ends a sign-in.</summary>
    public static string BuildSuccess(string? banner) =>
        Write("complete", writer =>
        {
            writer.WriteStartElement("auth");
            writer.WriteAttributeString("id", "success");
            if (!string.IsNullOrEmpty(banner))
            {
                writer.WriteElementString("banner", banner);
            }

            writer.WriteElementString("message", "Signed in");
            writer.WriteEndElement();
        });

    private static string Write(string type, Action<XmlWriter> body)
    {
        var text = new StringBuilder(512);
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, OmitXmlDeclaration = true };
        using (var writer = XmlWriter.Create(text, settings))
        {
            writer.WriteStartElement("config-auth");
            writer.WriteAttributeString("client", "vpn");
            writer.WriteAttributeString("type", type);
            writer.WriteAttributeString("aggregate-auth-version", "2");
            body(writer);
            writer.WriteEndElement();
        }

        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + text + "\n";
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
