using OpenTunnel.Agent.Enrolment;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Testing;

namespace OpenTunnel.Agent.Tests.Enrolment;

/// <summary>Where the enrolment token may come from: a file, standard input or OPENTUNNEL_ENROL_TOKEN, and never the command line or a setting.</summary>
[Trait("Category", "Unit")]
public sealed class EnrolmentTokenSourceTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    [Fact]
    public void Read_File_TakesItsFirstLineTrimmed()
    {
        string file = TokenFile("  ote_from_file  \nsomething else\n");

        Assert.Equal("ote_from_file", EnrolmentTokenSource.Read(file, new StringReader("ote_stdin"), Environment("ote_env"), TextWriter.Null));
    }

    [Fact]
    public void Read_Dash_ReadsALineOfStandardInput()
    {
        Assert.Equal("ote_from_stdin", EnrolmentTokenSource.Read("-", new StringReader("ote_from_stdin\n"), Environment("ote_env"), TextWriter.Null));
    }

    [Fact]
    public void Read_NoFile_TakesTheEnvironmentVariable()
    {
        Assert.Equal("ote_from_env", EnrolmentTokenSource.Read(null, new StringReader("ote_stdin"), Environment("ote_from_env"), TextWriter.Null));
        Assert.Null(EnrolmentTokenSource.Read(null, new StringReader("ote_stdin"), Environment(null), TextWriter.Null));
    }

    [Fact]
    public void Read_EmptyOrMissingFile_IsRefusedNamingIt()
    {
        string empty = TokenFile("\n");
        string missing = _directory.File("missing");

        Assert.Contains("holds no enrolment token", Assert.Throws<InvalidOperationException>(() => EnrolmentTokenSource.Read(empty, TextReader.Null, Environment(null), TextWriter.Null)).Message, StringComparison.Ordinal);
        Assert.Contains(missing, Assert.Throws<InvalidOperationException>(() => EnrolmentTokenSource.Read(missing, TextReader.Null, Environment(null), TextWriter.Null)).Message, StringComparison.Ordinal);
        Assert.Contains("standard input holds no enrolment token", Assert.Throws<InvalidOperationException>(() => EnrolmentTokenSource.Read("-", TextReader.Null, Environment(null), TextWriter.Null)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_FileReadableByOthers_IsUsedWithAWarning()
    {
        string file = TokenFile("ote_shared\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var notice = new StringWriter();

        Assert.Equal("ote_shared", EnrolmentTokenSource.Read(file, TextReader.Null, Environment(null), notice));
        Assert.Contains("is readable by other users", notice.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TokenAsASetting_IsRefusedSayingHowToGiveIt()
    {
        var refused = Assert.Throws<AgentConfigurationException>(() => AgentOptionsLoader.Load(null, new Dictionary<string, string?> { ["Token"] = "ote_secret" }));

        Assert.Contains("--token-file", refused.Message, StringComparison.Ordinal);
        Assert.Contains(EnrolmentTokenSource.EnvironmentVariable, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ote_secret", refused.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    private static Func<string, string?> Environment(string? token) =>
        name => name == EnrolmentTokenSource.EnvironmentVariable ? token : null;

    private string TokenFile(string text)
    {
        string file = _directory.File("token-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(file, text);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return file;
    }
}
