using Microsoft.Extensions.Logging;

namespace OpenTunnel.Agent.Commands;

/// <summary>
/// Keeps the agent's most recent log lines in memory (bounded), so that collect-logs can upload
/// them without a log file.
/// </summary>
public sealed class RecentLogLines(int capacity) : ILoggerProvider
{
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public ILogger CreateLogger(string categoryName) => new Writer(this, categoryName);

    /// <summary>The kept lines, oldest first.</summary>
    public string Snapshot()
    {
        lock (_gate)
        {
            return string.Join('\n', _lines);
        }
    }

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        lock (_gate)
        {
            _lines.Enqueue(line);
            while (_lines.Count > capacity)
            {
                _lines.Dequeue();
            }
        }
    }

    private sealed class Writer(RecentLogLines owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            owner.Add($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {logLevel} {category}[{eventId.Id}] {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.Message)}");
        }
    }
}
