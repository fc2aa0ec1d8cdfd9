namespace OpenTunnel.Bench;

/// <summary>Progress lines on stderr, so stdout carries only the result table.</summary>
internal static class BenchLog
{
    public static void Info(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
