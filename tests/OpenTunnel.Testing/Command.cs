using System.Diagnostics;

namespace OpenTunnel.Testing;

/// <summary>Runs a command to completion, with a time limit, and returns what it printed.</summary>
public static class Command
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static CommandResult Run(string fileName, params string[] arguments) => Run(fileName, arguments, DefaultTimeout);

    /// <summary>Runs a command to completion; <paramref name="environment"/> adds to (or overrides) the test's own variables.</summary>
    public static CommandResult Run(
        string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, string? standardInput = null, IReadOnlyDictionary<string, string>? environment = null) =>
        RunAsync(fileName, arguments, timeout, standardInput, CancellationToken.None, environment).GetAwaiter().GetResult();

    /// <summary>
    /// Runs a command to completion. When <paramref name="cancellationToken"/> fires first, the
    /// command (and what it started) is killed by PID and the call throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<CommandResult> RunAsync(
        string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, string? standardInput, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        string description = $"{fileName} {string.Join(' ', arguments)}";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{description}'.");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput).ConfigureAwait(false);
        }

        process.StandardInput.Close();
        // ConfigureAwait(false) throughout: Run blocks on this method, also from a test's synchronization context.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return new CommandResult(description, -1, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false) + $"\n(killed after {timeout.TotalSeconds:0.#} s)");
        }

        return new CommandResult(description, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
