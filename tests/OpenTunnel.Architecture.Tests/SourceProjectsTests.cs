namespace OpenTunnel.Architecture.Tests;

[Trait("Category", "Unit")]
public sealed class SourceProjectsTests
{
    private static readonly string[] Projects = ["OpenTunnel.Agent", "OpenTunnel.Agent.Protocol", "OpenTunnel.Management"];
    private static readonly HashSet<string> AgentFolders = ["Link", "Identity", "Telemetry"];

    [Fact]
    public void UsedNames_PlainGlobalStaticAndAlias_ReadsEachName()
    {
        string[] lines =
        [
            "using System.Net;",
            "using OpenTunnel.Agent.Link;",
            "global using OpenTunnel.Agent.Identity;",
            "using static OpenTunnel.Agent.Telemetry.ProcStat;",
            "using Renewer = OpenTunnel.Agent.Identity.CertificateRenewer;",
            "// using OpenTunnel.Agent.Commented;",
        ];

        Assert.Equal(
            ["OpenTunnel.Agent.Link", "OpenTunnel.Agent.Identity", "OpenTunnel.Agent.Telemetry.ProcStat", "OpenTunnel.Agent.Identity.CertificateRenewer"],
            SourceProjects.UsedNames(lines));
    }

    [Theory]
    [InlineData("OpenTunnel.Agent.Link", "Link")]
    [InlineData("OpenTunnel.Agent.Telemetry.ProcStat", "Telemetry")]
    [InlineData("OpenTunnel.Agent", FolderGraph.Root)]
    [InlineData("OpenTunnel.Agent.Program", FolderGraph.Root)]
    public void FolderNamed_NameInsideTheProject_IsItsFolder(string name, string folder)
    {
        Assert.Equal(folder, SourceProjects.FolderNamed(name, "OpenTunnel.Agent", Projects, AgentFolders));
    }

    [Theory]
    [InlineData("OpenTunnel.Agent.Protocol")]
    [InlineData("OpenTunnel.Agent.Protocol.Routes")]
    [InlineData("OpenTunnel.Management.Api")]
    [InlineData("OpenTunnel.AgentX")]
    public void FolderNamed_NameOfAnotherProject_IsNull(string name)
    {
        Assert.Null(SourceProjects.FolderNamed(name, "OpenTunnel.Agent", Projects, AgentFolders));
    }

    [Theory]
    [InlineData("Program.cs", FolderGraph.Root)]
    [InlineData("Api/ApiJson.cs", "Api")]
    [InlineData("Api/Resources/Sites.cs", "Api.Resources")]
    public void FolderOf_RelativePath_IsTheNamespaceBelowTheProject(string path, string folder)
    {
        Assert.Equal(folder, SourceProjects.FolderOf(path));
    }
}
