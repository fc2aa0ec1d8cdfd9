using System.Text.RegularExpressions;

namespace OpenTunnel.Architecture.Tests;

/// <summary>Reads the projects under <c>src/</c> and the <c>using</c> lines of their files.</summary>
public static partial class SourceProjects
{
    public static string SourceDirectory()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OpenTunnel.slnx")))
        {
            root = root.Parent;
        }

        return Path.Combine(root?.FullName ?? throw new InvalidOperationException("OpenTunnel.slnx not found above " + AppContext.BaseDirectory), "src");
    }

    /// <summary>The project names under <c>src/</c> (each folder holding a project file of its name).</summary>
    public static IReadOnlyList<string> Names(string sourceDirectory) =>
        Directory.GetDirectories(sourceDirectory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => File.Exists(Path.Combine(sourceDirectory, name, name + ".csproj")))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The graph of one project's folders, from the using lines of its .cs files.</summary>
    public static FolderGraph Folders(string sourceDirectory, string project, IReadOnlyList<string> allProjects)
    {
        string projectDirectory = Path.Combine(sourceDirectory, project);
        var graph = new FolderGraph();
        var files = CodeFiles(projectDirectory).ToList();
        var folders = files.Select(FolderOf).ToHashSet(StringComparer.Ordinal);
        foreach (string file in files)
        {
            string from = FolderOf(file);
            foreach (string name in UsedNames(File.ReadLines(Path.Combine(projectDirectory, file))))
            {
                if (FolderNamed(name, project, allProjects, folders) is { } to)
                {
                    graph.Add(from, to, file);
                }
            }
        }

        return graph;
    }

    /// <summary>The .cs files of a project folder by their paths inside it ("Api/Sites.cs"), in path order, without bin/ and obj/.</summary>
    public static IEnumerable<string> CodeFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(directory, path).Replace('\\', '/'))
            .Where(path => !path.StartsWith("bin/", StringComparison.Ordinal) && !path.StartsWith("obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    /// <summary>The folder of a file given by its path inside the project: "Api/Resources/Sites.cs" is "Api.Resources".</summary>
    public static string FolderOf(string relativePath)
    {
        int slash = relativePath.LastIndexOf('/');
        return slash < 0 ? FolderGraph.Root : relativePath[..slash].Replace('/', '.');
    }

    /// <summary>
    /// The folder of <paramref name="project"/> (one of <paramref name="folders"/>) a using line's name points into, or null when it names
    /// another project (the longest project name that prefixes it wins: <c>OpenTunnel.Agent.Protocol</c>
    /// is not the Agent's <c>Protocol</c> folder) or no project of ours.
    /// </summary>
    public static string? FolderNamed(string name, string project, IReadOnlyList<string> allProjects, IReadOnlySet<string> folders)
    {
        string? owner = allProjects
            .Where(p => name == p || name.StartsWith(p + ".", StringComparison.Ordinal))
            .MaxBy(p => p.Length);
        if (owner != project)
        {
            return null;
        }

        // An alias or a static using names a type: the folder is the longest one that prefixes the name.
        string path = name.Length == project.Length ? "" : name[(project.Length + 1)..];
        while (path.Length > 0 && !folders.Contains(path))
        {
            int dot = path.LastIndexOf('.');
            path = dot < 0 ? "" : path[..dot];
        }

        return path.Length == 0 ? FolderGraph.Root : path;
    }

    /// <summary>The namespaces or types named by the using directives of a file (global, static and alias forms).</summary>
    public static IEnumerable<string> UsedNames(IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            var match = UsingLine().Match(line);
            if (match.Success)
            {
                yield return match.Groups["name"].Value;
            }
        }
    }

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?(?<name>OpenTunnel(?:\.\w+)*)\s*;")]
    private static partial Regex UsingLine();
}
