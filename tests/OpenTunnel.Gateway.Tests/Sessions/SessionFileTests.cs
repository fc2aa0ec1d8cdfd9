using System.Net;
using System.Text;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Gateway.Tests.Sessions;

[Trait("Category", "Unit")]
public sealed class SessionFileTests
{
    private static readonly SavedSession Alice = new(new string('a', 64), 7, "alice", "sub-1", "dev-1", IPEndPoint.Parse("198.18.1.2:40000"),
        DateTimeOffset.Parse("2026-01-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), 0xC6128002, new Ipv6Number(1UL << 63, 5));

    [Fact]
    public void Parse_OfSerialize_GivesTheSessionsBack()
    {
        var bob = Alice with { CookieHash = new string('b', 64), Id = 8, UserName = "bob", Subject = null, DeviceId = null, IPv4Address = 0, IPv6Address = Ipv6Number.Zero };

        var parsed = SessionFile.Parse(Serialized([Alice, bob]));

        Assert.Equal([Alice, bob], parsed);
    }

    [Fact]
    public void Parse_OfSerialize_KeepsTheGroupsThatDecideTheRoutes()
    {
        var parsed = SessionFile.Parse(Serialized([Alice with { Groups = ["eng", "ops"] }]));

        Assert.Equal(["eng", "ops"], Assert.Single(parsed).Groups!);
    }

    [Fact]
    public void Parse_OfSerialize_KeepsTheUnmanagedMark_SoARestartGivesTheSessionNoMore()
    {
        var parsed = SessionFile.Parse(Serialized([Alice with { Unmanaged = true }, Alice with { CookieHash = new string('c', 64), Id = 9 }]));

        Assert.True(parsed[0].Unmanaged);
        Assert.False(parsed[1].Unmanaged);
    }

    [Fact]
    public void Parse_OfSerialize_KeepsNamesThatNeedEscaping()
    {
        var odd = Alice with { UserName = "d\u00e9sir\u00e9e \"o'neil\" \\ <x>", Groups = ["\u00e9quipe"] };

        Assert.Equal(odd.UserName, Assert.Single(SessionFile.Parse(Serialized([odd]))).UserName);
    }

    [Theory]
    [InlineData("{\"version\":1,\"sessions\":[{\"cookieSha256\":\"xyz\",\"id\":1,\"user\":\"a\",\"client\":\"198.18.1.2:1\",\"signedInAt\":\"2026-01-01T00:00:00Z\"}]}", "cookieSha256")]
    [InlineData("{\"version\":2,\"sessions\":[]}", "version 2")]
    [InlineData("{\"version\":1}", "'sessions'")]
    [InlineData("not json", "not JSON")]
    public void Parse_BadFile_NamesTheProblem(string text, string problem)
    {
        var e = Assert.Throws<FormatException>(() => SessionFile.Parse(text));

        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AnIPv6AddressWhereIPv4IsExpected_IsRefused()
    {
        string text = Serialized([Alice]).Replace("198.18.128.2", "2001:db8::2", StringComparison.Ordinal);

        var e = Assert.Throws<FormatException>(() => SessionFile.Parse(text));

        Assert.Contains("'ipv4' is not an IPv4 address", e.Message, StringComparison.Ordinal);
    }

    private static string Serialized(IReadOnlyList<SavedSession> sessions) => Encoding.UTF8.GetString(SessionFile.Serialize(sessions));
}
