using OpenTunnel.Protocol.Auth;

namespace OpenTunnel.Protocol.Tests.Auth;

[Trait("Category", "Unit")]
public sealed class AuthXmlTests
{
    // What openconnect 9.01 posts first (auth.c xmlpost_initial_req).
    private const string OpenConnectInit = """
        <?xml version="1.0" encoding="UTF-8"?>
        <config-auth client="vpn" type="init" aggregate-auth-version="2"><version who="vpn">v9.01</version><device-id>linux-64</device-id><capabilities><auth-method>single-sign-on-v2</auth-method></capabilities><group-access>https://198.18.1.1:4443</group-access></config-auth>
        """;

    [Fact]
    public void TryParseClientMessage_OpenConnectInit_ReadsTypeDeviceAndGroupAccess()
    {
        Assert.True(AuthXml.TryParseClientMessage(OpenConnectInit, out var message, out _));

        Assert.Equal(ClientAuthMessage.InitType, message!.Type);
        Assert.Equal("linux-64", message.DeviceId);
        Assert.Equal("https://198.18.1.1:4443", message.GroupAccess);
        Assert.Empty(message.Fields);
    }

    [Fact]
    public void TryParseClientMessage_AuthReply_ReadsFormFields()
    {
        const string reply = """
            <?xml version="1.0" encoding="UTF-8"?>
            <config-auth client="vpn" type="auth-reply" aggregate-auth-version="2"><version who="vpn">v9.01</version><device-id>linux-64</device-id><auth><password>eyJhbGciOi.x.y</password></auth></config-auth>
            """;

        Assert.True(AuthXml.TryParseClientMessage(reply, out var message, out _));

        Assert.Equal(ClientAuthMessage.ReplyType, message!.Type);
        Assert.Equal("eyJhbGciOi.x.y", message.Fields[AuthXml.PasswordField]);
    }

    [Theory]
    [InlineData("not xml at all", "malformed XML")]
    [InlineData("<other/>", "no <config-auth>")]
    [InlineData("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><config-auth type=\"init\">&e;</config-auth>", "malformed XML")]
    public void TryParseClientMessage_BadDocument_FailsWithReason(string xml, string expected)
    {
        Assert.False(AuthXml.TryParseClientMessage(xml, out _, out string? error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildSuccess_HasAuthIdSuccessThatTheClientLooksFor()
    {
        string xml = AuthXml.BuildSuccess("Welcome & behave");

        Assert.Contains("<config-auth client=\"vpn\" type=\"complete\" aggregate-auth-version=\"2\">", xml, StringComparison.Ordinal);
        Assert.Contains("<auth id=\"success\">", xml, StringComparison.Ordinal);
        Assert.Contains("<banner>Welcome &amp; behave</banner>", xml, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildTokenForm_HasPasswordInputPostingToAction()
    {
        string xml = AuthXml.BuildTokenForm("/token", "Paste your access token.", banner: null);

        Assert.Contains("type=\"auth-request\"", xml, StringComparison.Ordinal);
        Assert.Contains("<auth id=\"main\">", xml, StringComparison.Ordinal);
        Assert.Contains("<form method=\"post\" action=\"/token\">", xml, StringComparison.Ordinal);
        Assert.Contains("<input type=\"password\" name=\"password\"", xml, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildBrowserSignInForm_HasWhatOpenConnectNeedsForTheExternalBrowser()
    {
        string xml = AuthXml.BuildBrowserSignInForm("/sso", "a1b2", "https://idp.example.com/connect/authorize?state=a1b2&x=1", "https://vpn.example.com/+sso/done", "cookie", "Hello");

        var root = System.Xml.Linq.XDocument.Parse(xml).Root!;
        var auth = root.Element("auth")!;
        Assert.Equal("auth-request", (string?)root.Attribute("type"));
        Assert.Equal("a1b2", root.Element("opaque")!.Element(AuthXml.SignInAttemptElement)!.Value);
        Assert.Equal("https://idp.example.com/connect/authorize?state=a1b2&x=1", auth.Element("sso-v2-login")!.Value);
        Assert.Equal("external", auth.Element("sso-v2-browser-mode")!.Value);
        Assert.Equal("https://vpn.example.com/+sso/done", auth.Element("sso-v2-login-final")!.Value);
        Assert.Equal("cookie", auth.Element("sso-v2-token-cookie-name")!.Value);
        var input = auth.Element("form")!.Element("input")!;
        Assert.Equal(("sso", AuthXml.SsoTokenField), ((string?)input.Attribute("type"), (string?)input.Attribute("name")));
        Assert.Equal("/sso", (string?)auth.Element("form")!.Attribute("action"));
    }

    [Fact]
    public void TryParseClientMessage_SsoReplyWithOpaque_ReadsTokenAndAttempt()
    {
        // openconnect echoes the opaque element and names the field after the input (auth.c xmlpost_append_form_opts).
        const string reply = """
            <?xml version="1.0" encoding="UTF-8"?>
            <config-auth client="vpn" type="auth-reply" aggregate-auth-version="2"><version who="vpn">v9.01-3</version><device-id>linux-64</device-id><capabilities><auth-method>single-sign-on-v2</auth-method></capabilities><opaque is-for="sg"><sso-attempt>a1b2</sso-attempt></opaque><auth><sso-token>00ff</sso-token></auth></config-auth>
            """;

        Assert.True(AuthXml.TryParseClientMessage(reply, out var message, out _));

        Assert.Equal("a1b2", message!.SignInAttempt);
        Assert.Equal("00ff", message.Fields[AuthXml.SsoTokenField]);
    }
}
