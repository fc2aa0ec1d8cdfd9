using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Harness;

/// <summary>
/// Where a program of the solution lies as its own build left it (src/PROJECT/bin/CONFIGURATION/
/// FRAMEWORK), with its own deps.json: a copy beside the tests would resolve assemblies through
/// the test project's frameworks instead.
/// </summary>
public static class SolutionOutput
{
    public static string Assembly(string project, string assemblyFile)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        string framework = output.Name;
        string configuration = output.Parent!.Name;
        string path = Path.Combine(Root(), "src", project, "bin", configuration, framework, assemblyFile);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} does not exist: build the solution first (dotnet build -c {configuration}).");
    }

    /// <summary>The checkout: the folder above the tests that holds OpenTunnel.slnx.</summary>
    public static string Root() => Checkout.Root();
}
