using System.Text.RegularExpressions;

namespace OpenTunnel.Gateway.Tests;

/// <summary>
/// The gateway's folders form layers: reading each file's <c>using OpenTunnel.Gateway.X</c> lines as
/// arrows from its folder to folder X, there is no cycle (Protocol ← transports ← sessions and
/// data plane ← host); and this project's test folders mirror the source folders.
/// </summary>
[Trait("Category", "Unit")]
public sealed partial class FolderLayeringTests
{
    /// <summary>Namespaces under OpenTunnel.Gateway that are other projects, not folders of this one.</summary>
    private static readonly HashSet<string> OtherProjects = new(StringComparer.Ordinal) { "Contracts" };

    [Fact]
    public void GatewayFolders_UsingLines_FormNoCycle()
    {
        var graph = ReadFolderGraph(Path.Combine(RepositoryRoot(), "src", "OpenTunnel.Gateway"));

        Assert.True(graph.Count > 5, $"only {graph.Count} folders were read: is the source tree where this test looks?");
        var cycle = FindCycle(graph);
        Assert.True(cycle is null, $"the gateway's folders form a cycle: {(cycle is null ? "" : string.Join(" → ", cycle))}");
    }

    [Fact]
    public void FindCycle_Knot_NamesEveryFolderOnIt()
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal)
        {
            ["Host"] = ["Sessions", "Tls"],
            ["Sessions"] = ["Tls"],
            ["Tls"] = ["Listener"],
            ["Listener"] = ["Sessions"],
        };

        Assert.Equal(["Sessions", "Tls", "Listener", "Sessions"], FindCycle(graph));
    }

    [Fact]
    public void GatewayTestFolders_EachMirrorsASourceFolder()
    {
        string root = RepositoryRoot();
        var sources = Folders(Path.Combine(root, "src", "OpenTunnel.Gateway"));
        var strays = Folders(Path.Combine(root, "tests", "OpenTunnel.Gateway.Tests")).Where(folder => !sources.Contains(folder)).ToList();

        Assert.True(strays.Count == 0, $"test folders with no source folder of the same name: {string.Join(", ", strays)}");
    }

    /// <summary>Folder → the folders its files name in <c>using OpenTunnel.Gateway.X</c> lines (the project's root folder is "(root)").</summary>
    private static Dictionary<string, HashSet<string>> ReadFolderGraph(string project)
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (string file in SourceFiles(project))
        {
            string relative = Path.GetRelativePath(project, Path.GetDirectoryName(file)!);
            string folder = relative == "." ? "(root)" : relative.Split(Path.DirectorySeparatorChar)[0];
            var targets = graph.TryGetValue(folder, out var found) ? found : graph[folder] = new HashSet<string>(StringComparer.Ordinal);
            foreach (Match match in UsingLine().Matches(File.ReadAllText(file)))
            {
                string target = match.Groups[1].Value;
                if (target != folder && !OtherProjects.Contains(target))
                {
                    targets.Add(target);
                }
            }
        }

        return graph;
    }

    /// <summary>A cycle as the folders along it, first one repeated at the end; null when there is none.</summary>
    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string>();
        foreach (string start in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (Visit(start) is { } cycle)
            {
                return cycle;
            }
        }

        return null;

        List<string>? Visit(string folder)
        {
            int onPath = path.IndexOf(folder);
            if (onPath >= 0)
            {
                return [.. path[onPath..], folder];
            }

            if (!done.Add(folder))
            {
                return null;
            }

            path.Add(folder);
            foreach (string next in (graph.TryGetValue(folder, out var targets) ? targets : []).Order(StringComparer.Ordinal))
            {
                if (Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            return null;
        }
    }

    private static IEnumerable<string> SourceFiles(string project) =>
        Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories).Where(file => !IsBuildOutput(project, file));

    private static HashSet<string> Folders(string project) =>
        new(Directory.EnumerateDirectories(project).Select(Path.GetFileName).OfType<string>().Where(name => name is not ("bin" or "obj")), StringComparer.Ordinal);

    private static bool IsBuildOutput(string project, string file) =>
        Path.GetRelativePath(project, file).Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj";

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OpenTunnel.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no OpenTunnel.slnx above {AppContext.BaseDirectory}: the layering test reads the source tree");
    }

    [GeneratedRegex(@"^using OpenTunnel\.Gateway\.([A-Za-z0-9_]+)", RegexOptions.Multiline)]
    private static partial Regex UsingLine();
}
