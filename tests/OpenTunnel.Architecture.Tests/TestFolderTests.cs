namespace OpenTunnel.Architecture.Tests;

/// <summary>
/// Test folders mirror source folders one to one: <c>tests/X.Tests/Folder/ThingTests.cs</c> beside
/// <c>src/X/Folder/Thing.cs</c>.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TestFolderTests
{
    /// <summary>The test projects held to the rule: one per source project that has one.</summary>
    private static readonly string[] MirroredProjects = ["OpenTunnel.Agent", "OpenTunnel.Identity", "OpenTunnel.Management", "OpenTunnel.Client", "OpenTunnel.Gateway", "OpenTunnel.Protocol", "OpenTunnel.Platform.Linux", "OpenTunnel.Gateway.Contracts", "OpenTunnel.Trust"];

    /// <summary>Test infrastructure, not tests of a source folder.</summary>
    private const string HarnessFolder = "Harness";

    public static TheoryData<string> Projects() => new(MirroredProjects);

    [Theory]
    [MemberData(nameof(Projects))]
    public void TestFiles_OfEachProject_SitInTheFolderOfWhatTheyTest(string project)
    {
        string source = Path.Combine(SourceProjects.SourceDirectory(), project);
        string tests = Path.Combine(SourceProjects.SourceDirectory(), "..", "tests", project + ".Tests");
        var sourceFiles = SourceProjects.CodeFiles(source).ToLookup(Path.GetFileNameWithoutExtension, StringComparer.Ordinal);
        var sourceFolders = SourceProjects.CodeFiles(source).Select(SourceProjects.FolderOf).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (string file in SourceProjects.CodeFiles(tests))
        {
            string folder = SourceProjects.FolderOf(file);
            if (folder == FolderGraph.Root || folder == HarnessFolder || folder.StartsWith(HarnessFolder + ".", StringComparison.Ordinal))
            {
                continue;
            }

            if (!sourceFolders.Contains(folder))
            {
                problems.Add($"{file}: src/{project} has no folder {folder.Replace('.', '/')}/");
                continue;
            }

            string name = Path.GetFileNameWithoutExtension(file);
            if (name.EndsWith("Tests", StringComparison.Ordinal) && sourceFiles[name[..^"Tests".Length]].ToList() is [string tested]
                && SourceProjects.FolderOf(tested) != folder)
            {
                problems.Add($"{file}: tests {tested}, so it belongs in {SourceProjects.FolderOf(tested).Replace('.', '/')}/");
            }
        }

        Assert.True(problems.Count == 0, $"Test files of {project}.Tests outside the folder of what they test:\n  " + string.Join("\n  ", problems));
    }
}
