using Microsoft.Extensions.Logging;

namespace OpenTunnel.Observability;

/// <summary>The console formatters of Microsoft.Extensions.Logging the services offer for their log lines.</summary>
public enum LogFormat
{
    /// <summary>One line per event with a UTC timestamp.</summary>
    Simple,

    /// <summary>One JSON object per line.</summary>
    Json,

    /// <summary>Syslog priority prefixes for the journal, no timestamp (the journal stamps each line).</summary>
    Systemd,
}

/// <summary>The log lines on standard output in the format a service's setting names, the same for every service.</summary>
public static class ConsoleLogging
{
    private const string Timestamp = "yyyy-MM-ddTHH:mm:ss.fffZ";

    /// <summary>
    /// Replaces the console providers with the formatter <paramref name="format"/> names. Call it
    /// after <c>UseSystemd</c>/<c>AddSystemd</c>, which would otherwise switch the console to the
    /// journal's format: the lines keep the format of the setting wherever the service runs.
    /// </summary>
    public static ILoggingBuilder AddConsole(this ILoggingBuilder logging, LogFormat format)
    {
        ArgumentNullException.ThrowIfNull(logging);
        switch (format)
        {
            case LogFormat.Json:
                logging.AddJsonConsole(console =>
                {
                    console.UseUtcTimestamp = true;
                    console.TimestampFormat = Timestamp;
                    console.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
                });
                break;
            case LogFormat.Systemd:
                logging.AddSystemdConsole();
                break;
            default:
                logging.AddSimpleConsole(console =>
                {
                    console.SingleLine = true;
                    console.UseUtcTimestamp = true;
                    console.TimestampFormat = Timestamp + " ";
                });
                break;
        }

        return logging;
    }
}
