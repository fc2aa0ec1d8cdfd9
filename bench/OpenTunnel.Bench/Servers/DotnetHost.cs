using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Servers;

/// <summary>The dotnet host that runs this benchmark, used to start the other .NET programs (gateway, client, load generator).</summary>
internal static class DotnetHost
{
    public static string Path { get; } =
        System.IO.Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
            ? Environment.ProcessPath!
            : Prerequisites.FindOnPath("dotnet") ?? throw new PrerequisiteMissingException("The benchmark needs 'dotnet' on the PATH.");

    /// <summary>
    /// The command that runs <paramref name="program"/> with <paramref name="arguments"/>: an assembly
    /// (<c>.dll</c>) under dotnet, anything else (a native executable) by itself.
    /// </summary>
    public static (string File, string[] Arguments) Command(string program, IEnumerable<string> arguments) =>
        program.EndsWith(".dll", StringComparison.Ordinal)
            ? (Path, [program, .. arguments])
            : (program, [.. arguments]);
}
