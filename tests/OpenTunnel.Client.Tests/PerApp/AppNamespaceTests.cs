using OpenTunnel.Client.PerApp;
using OpenTunnel.Identity.Contracts.Devices;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.PerApp;

[Trait("Category", "Unit")]
public sealed class AppNamespaceTests
{
    private static DeviceProfile Profile(params string[] apps) => new(
        Guid.Parse("0123456789abcdef0123456789abcdef"), "office", null, "linux", new DeviceProfileSite(Guid.NewGuid(), "main", "198.18.1.1", 443), apps, false, [], null);

    [Fact]
    public void NameFor_IsStableAndFromTheProfileId()
    {
        Assert.Equal("opentunnel-0123456789ab", AppNamespace.NameFor(Profile("curl")));
        Assert.True(AppNamespace.IsPerApp(Profile("curl")));
        Assert.False(AppNamespace.IsPerApp(Profile()));
    }

    [Theory]
    [InlineData("/usr/bin/curl", true)]
    [InlineData("/opt/tools/curl", true)]
    [InlineData("/usr/bin/firefox-esr", true)]
    [InlineData("/usr/local/bin/firefox-esr", false)]
    [InlineData("/usr/bin/wget", false)]
    [InlineData("/usr/bin/curl-config", false)]
    public void Allows_ANameMatchesAnyPathOfIt_APathOnlyItself(string program, bool allowed) =>
        Assert.Equal(allowed, AppNamespace.Allows(Profile("curl", "/usr/bin/firefox-esr"), program));

    [Fact]
    public void FindProgram_SearchesThePathInOrder_TakesAPathAsItIs()
    {
        using var first = new TemporaryDirectory();
        using var second = new TemporaryDirectory();
        File.WriteAllText(Path.Combine(second.Path, "tool"), string.Empty);
        File.WriteAllText(Path.Combine(first.Path, "other"), string.Empty);

        Assert.Equal(Path.Combine(second.Path, "tool"), AppNamespace.FindProgram("tool", $"{first.Path}:{second.Path}"));
        Assert.Null(AppNamespace.FindProgram("missing", $"{first.Path}:{second.Path}"));
        Assert.Equal(Path.Combine(first.Path, "other"), AppNamespace.FindProgram(Path.Combine(first.Path, "other"), null));
    }
}
