using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Servers;

/// <summary>The dotnet host that runs this benchmark, used to start the other .NET programs (gateway, load generator).</summary>
internal static class DotnetHost
{
    public static string Path { get; } =
        System.IO.Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
            ? Environment.ProcessPath!
            : Prerequisites.FindOnPath("dotnet") ?? throw new PrerequisiteMissingException("The benchmark needs 'dotnet' on the PATH.");
}
