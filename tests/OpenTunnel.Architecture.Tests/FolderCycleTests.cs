using System.Text;

namespace OpenTunnel.Architecture.Tests;

[Trait("Category", "Unit")]
public sealed class FolderCycleTests
{
    public static TheoryData<string> Projects() => new(SourceProjects.Names(SourceProjects.SourceDirectory()));

    [Theory]
    [MemberData(nameof(Projects))]
    public void Folders_OfEachSourceProject_FormNoCycle(string project)
    {
        string source = SourceProjects.SourceDirectory();
        var cycles = SourceProjects.Folders(source, project, SourceProjects.Names(source)).Cycles();

        if (cycles.Count > 0)
        {
            var message = new StringBuilder($"The folders of {project} form {cycles.Count} cycle(s) through their using lines:");
            foreach (var cycle in cycles)
            {
                message.AppendLine().Append("  ").Append(cycle[0].From);
                foreach (var (_, to, file) in cycle)
                {
                    message.Append(" -> ").Append(to).Append(" (").Append(file).Append(')');
                }
            }

            Assert.Fail(message.ToString());
        }
    }

    [Fact]
    public void SourceProjects_AreAllFound()
    {
        var names = SourceProjects.Names(SourceProjects.SourceDirectory());

        Assert.Contains("OpenTunnel.Agent", names);
        Assert.Contains("OpenTunnel.Gateway", names);
    }
}
