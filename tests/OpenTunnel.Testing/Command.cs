using System.Diagnostics;

namespace OpenTunnel.Testing;

/// <summary>Runs a command to completion, with a time limit, and returns what it printed.</summary>
public static class Command
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static CommandResult Run(string fileName, params string[] arguments) => Run(fileName, arguments, DefaultTimeout);

    public static CommandResult Run(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, string? standardInput = null)
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

        string description = $"{fileName} {string.Join(' ', arguments)}";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{description}'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new CommandResult(description, -1, stdout.Result, stderr.Result + $"\n(killed after {timeout.TotalSeconds:0.#} s)");
        }

        return new CommandResult(description, process.ExitCode, stdout.Result, stderr.Result);
    }
}
