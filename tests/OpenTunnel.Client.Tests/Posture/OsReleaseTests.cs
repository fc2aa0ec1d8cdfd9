using OpenTunnel.Client.Posture;

namespace OpenTunnel.Client.Tests.Posture;

[Trait("Category", "Unit")]
public sealed class OsReleaseTests
{
    private const string Debian = """
        PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
        NAME="Debian GNU/Linux"
        VERSION_ID="12"
        VERSION="12 (bookworm)"
        ID=debian
        HOME_URL="https://www.debian.org/"
        """;

    [Fact]
    public void Parse_DebianFile_ReadsQuotedAndBareValues()
    {
        OsRelease release = OsRelease.Parse(Debian);

        Assert.Equal("Debian GNU/Linux", release.Name);
        Assert.Equal("12", release.VersionId);
        Assert.Equal("debian", release["ID"]);
        Assert.Equal("Debian GNU/Linux 12 (bookworm)", release.PrettyName);
    }

    [Fact]
    public void Parse_CommentsBlankLinesSingleQuotesAndEscapes_FollowsOsRelease5()
    {
        OsRelease release = OsRelease.Parse("# comment\n\nNAME='Fedora Linux'\nVARIANT=\"Work \\\"station\\\" \\$HOME\"\nnot a line\n");

        Assert.Equal("Fedora Linux", release.Name);
        Assert.Equal("Work \"station\" $HOME", release["VARIANT"]);
        Assert.Null(release["not a line"]);
    }

    [Fact]
    public void Parse_EmptyFile_NameDefaultsToLinuxAndVersionUnknown()
    {
        OsRelease release = OsRelease.Parse("");

        Assert.Equal("Linux", release.Name);
        Assert.Equal("unknown", release.Version(null));
    }

    [Theory]
    [InlineData("12.11\n", "12.11")]
    [InlineData("11.9", "12")]
    [InlineData("bookworm/sid", "12")]
    [InlineData(null, "12")]
    public void Version_DebianPointRelease_RefinesOnlySameMajor(string? debianVersion, string expected)
    {
        Assert.Equal(expected, OsRelease.Parse(Debian).Version(debianVersion));
    }

    [Fact]
    public void Version_NotDebian_IgnoresDebianVersionFile()
    {
        Assert.Equal("24.04", OsRelease.Parse("ID=ubuntu\nVERSION_ID=\"24.04\"\n").Version("trixie/sid"));
    }
}
