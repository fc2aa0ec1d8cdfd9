namespace OpenTunnel.Testing;

/// <summary>The checkout the tests run from.</summary>
public static class Checkout
{
    /// <summary>The folder above the tests that holds OpenTunnel.slnx.</summary>
    public static string Root()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OpenTunnel.slnx")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new InvalidOperationException("OpenTunnel.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Where ./test.sh gathers the test results (artifacts/test-results); files a test leaves for a person to look at go here.</summary>
    public static string TestResults(string folder)
    {
        string path = Path.Combine(Root(), "artifacts", "test-results", folder);
        Directory.CreateDirectory(path);
        return path;
    }
}
