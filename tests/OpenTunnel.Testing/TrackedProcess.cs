using System.Diagnostics;
using System.Text;

namespace OpenTunnel.Testing;

/// <summary>
/// A process a test started, tracked by its PID, with its output captured so a failing test can
/// show it. Dispose ends the process (and the children it started) by PID if it still runs.
/// </summary>
public sealed class TrackedProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private bool _disposed;

    private TrackedProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    /// <summary>The PID, kept after the process ended so a test can check it is gone.</summary>
    public int Id { get; private set; }

    public string Description { get; }

    /// <summary>True once the process ended, or was ended by Dispose.</summary>
    public bool HasExited => _disposed || _process.HasExited;

    /// <summary>Everything the process wrote so far, stdout and stderr interleaved as lines arrived.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/>, capturing its output.</summary>
    public static TrackedProcess Start(string fileName, IEnumerable<string> arguments, string? standardInput = null, IDictionary<string, string>? environment = null)
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

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var tracked = new TrackedProcess(process, $"{fileName} {string.Join(' ', info.ArgumentList)}");
        process.OutputDataReceived += (_, e) => tracked.Append(e.Data);
        process.ErrorDataReceived += (_, e) => tracked.Append(e.Data);
        process.Start();
        tracked.Id = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
        }

        process.StandardInput.Close();
        return tracked;
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; throws with the output so far when it does not in time or the process ends first.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            if (_process.HasExited)
            {
                // Let the last lines of output arrive.
                await _process.WaitForExitAsync();
                if (Output.Contains(text, StringComparison.Ordinal))
                {
                    return;
                }

                throw new TimeoutException($"'{Description}' exited with {_process.ExitCode} before printing '{text}'. Output:\n{Output}");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"'{Description}' did not print '{text}' within {timeout.TotalSeconds:0.#} s. Output:\n{Output}");
    }

    /// <summary>Waits for the process to exit and returns its exit code; throws with its output on time-out.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"'{Description}' did not exit within {timeout.TotalSeconds:0.#} s. Output:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends a signal (for example SIGINT = 2, SIGTERM = 15) to the process by PID.</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited)
        {
            _ = NativeSignals.Kill(_process.Id, signal);
        }
    }

    /// <summary>
    /// Asks the process to stop with SIGTERM and waits up to <paramref name="grace"/> for it; one
    /// still running then is left for <see cref="Dispose"/>, which ends it by PID.
    /// </summary>
    public void Terminate(TimeSpan grace)
    {
        if (HasExited)
        {
            return;
        }

        Signal(15);
        try
        {
            WaitForExitAsync(grace).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            // Dispose ends it by PID.
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.AppendLine(line);
        }
    }
}
