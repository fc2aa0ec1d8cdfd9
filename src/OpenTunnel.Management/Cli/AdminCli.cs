namespace OpenTunnel.Management.Cli;

/// <summary>The administrator CLI over the REST API.</summary>
public static class AdminCli
{
    public static bool Handles(string[] args) => false;

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken) => Task.FromResult(0);
}
