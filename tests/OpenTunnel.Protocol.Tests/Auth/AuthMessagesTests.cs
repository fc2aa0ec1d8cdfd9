using System.Xml.Linq;
using OpenTunnel.Protocol.Auth;

namespace OpenTunnel.Protocol.Tests.Auth;

[Trait("Category", "Unit")]
public sealed class AuthMessagesTests
{
    // The shape of ocserv 1.1.6's first form (worker-auth.c, login_msg_user).
    private const string UserForm = """
        <?xml version="1.0" encoding="UTF-8"?>
        <config-auth client="vpn" type="auth-request">
        <version who="sg">0.1(1)</version>
        <opaque is-for="sg"><tunnel-group>x</tunnel-group></opaque>
        <auth id="main">
        <message>Please enter your username.</message>
        <form method="post" action="/auth">
        <input type="text" name="username" label="Username:" />
        <input type="hidden" name="state" value="s1" />
        <select name="group_list" label="Group:"><option value="staff">Staff</option><option>other</option></select>
        </form></auth>
        </config-auth>
        """;

    [Fact]
    public void Parse_UserForm_ReadsActionInputsAndOpaque()
    {
        var outcome = AuthMessages.Parse(UserForm, out var form);

        Assert.Equal(AuthOutcome.Form, outcome);
        Assert.NotNull(form);
        Assert.Equal("/auth", form.Action);
        Assert.Equal("Please enter your username.", form.Message);
        Assert.Equal(
            [new AuthInput("text", "username", null), new AuthInput("hidden", "state", "s1"), new AuthInput("select", "group_list", "staff")],
            form.Inputs);
        Assert.NotNull(form.Opaque);
    }

    [Fact]
    public void Reply_UserForm_FillsTextKeepsHiddenAndEchoesOpaque()
    {
        AuthMessages.Parse(UserForm, out var form);

        string reply = AuthMessages.Reply(form!, input => input.Type == "text" ? "bench" : null);

        var root = XDocument.Parse(reply).Root!;
        Assert.Equal("auth-reply", (string?)root.Attribute("type"));
        Assert.Equal("bench", root.Element("auth")!.Element("username")!.Value);
        Assert.Equal("s1", root.Element("auth")!.Element("state")!.Value);
        Assert.Equal("staff", root.Element("auth")!.Element("group_list")!.Value);
        Assert.Equal("x", root.Element("opaque")!.Element("tunnel-group")!.Value);
    }

    [Fact]
    public void Reply_PasswordWithMarkup_IsEscaped()
    {
        var form = new AuthForm("/auth", [new AuthInput("password", "password", null)], null, null);

        string reply = AuthMessages.Reply(form, _ => "a<b&c");

        Assert.Contains("<password>a&lt;b&amp;c</password>", reply, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Success_ReturnsSuccess()
    {
        const string complete = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"complete\"><version who=\"sg\">0.1(1)</version><auth id=\"success\"><title>SSL VPN Service</title></auth></config-auth>";

        Assert.Equal(AuthOutcome.Success, AuthMessages.Parse(complete, out var form));
        Assert.Null(form);
    }

    [Theory]
    [InlineData("not xml at all", "not XML")]
    [InlineData("<config-auth type=\"auth-request\"></config-auth>", "no <auth>")]
    [InlineData("<config-auth><auth id=\"main\"><message>m</message></auth></config-auth>", "neither a form")]
    [InlineData("<config-auth><auth id=\"main\"><form method=\"post\"></form></auth></config-auth>", "no action")]
    public void Parse_BadResponse_ThrowsSayingWhatIsWrong(string xml, string expected)
    {
        var e = Assert.Throws<FormatException>(() => AuthMessages.Parse(xml, out _));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Init_CarriesGroupAccessAndVersion()
    {
        var root = XDocument.Parse(AuthMessages.Init("https://198.18.1.1:443/")).Root!;

        Assert.Equal("init", (string?)root.Attribute("type"));
        Assert.Equal("https://198.18.1.1:443/", root.Element("group-access")!.Value);
        Assert.Equal("vpn", (string?)root.Element("version")!.Attribute("who"));
    }
}
