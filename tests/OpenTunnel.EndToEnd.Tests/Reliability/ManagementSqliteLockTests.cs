using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Reliability;

/// <summary>
/// The management service's SQLite file locked by another process (docs/reliability.md, "SQLite
/// file locked"): a process holds an exclusive transaction on <c>management.db</c>, as a backup
/// tool or an administrator's <c>sqlite3</c> session can; requests wait for SQLite's busy timeout
/// (30 s), then answer 503 with Retry-After and a log line with SQLite's reason; once the lock
/// holder is gone the same service answers and the file passes SQLite's integrity check.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ManagementSqliteLockTests(ITestOutputHelper output)
{
    private const string HoldLock = """
        import sqlite3, sys, time
        db = sqlite3.connect(sys.argv[1], isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        time.sleep(600)
        """;

    [Fact]
    public async Task SqliteFileLocked_RequestsAnswer503AfterTheBusyTimeout_NoCorruption_AndTheServiceRecoversWhenTheLockGoes()
    {
        using var data = new TemporaryDirectory();
        using var management = await ManagementProcess.StartAsync(data.Path);
        HttpClient http = management.Api.Http;
        await management.Api.PostAsync("/api/v1/groups", new { name = "before" });
        string database = Path.Combine(data.Path, "management.db");

        using (var holder = TrackedProcess.Start("python3", ["-c", HoldLock, database]))
        {
            await holder.WaitForOutputAsync("locked", TimeSpan.FromSeconds(10));
            var waited = Stopwatch.StartNew();
            using HttpResponseMessage write = await http.PostAsJsonAsync("/api/v1/groups", new { name = "during" });
            TimeSpan writeTook = waited.Elapsed;
            string body = await write.Content.ReadAsStringAsync();

            Assert.True(write.StatusCode == HttpStatusCode.ServiceUnavailable, $"A write with the file locked answered {(int)write.StatusCode} after {writeTook.TotalSeconds:0.0} s: {body}");
            Assert.NotNull(write.Headers.RetryAfter);
            Assert.Contains("The database is unavailable.", body, StringComparison.Ordinal);
            Assert.Contains("with 503: the database is unavailable", management.Output, StringComparison.Ordinal);
            Assert.Contains("database is locked", management.Output, StringComparison.Ordinal);
            Assert.True(management.IsRunning, $"The service ended with the file locked:\n{management.Output}");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"write with the file locked answered 503 after {writeTook.TotalSeconds:0.0} s"));

            // The lock holder dies (SIGKILL): SQLite rolls its transaction back, the lock goes with the process.
            holder.Signal(9);
            await holder.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        var back = Stopwatch.StartNew();
        await management.Api.PostAsync("/api/v1/groups", new { name = "after" });
        TimeSpan recovered = back.Elapsed;
        string groups = await http.GetStringAsync("/api/v1/groups");
        Assert.Contains("\"before\"", groups, StringComparison.Ordinal);
        Assert.Contains("\"after\"", groups, StringComparison.Ordinal);
        Assert.DoesNotContain("\"during\"", groups, StringComparison.Ordinal);
        CommandResult check = await Command.RunAsync("sqlite3", [database, "PRAGMA integrity_check;"], TimeSpan.FromSeconds(20), null, CancellationToken.None);
        Assert.Equal("ok", check.EnsureSuccess().StandardOutput.Trim());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first write after the lock went: {recovered.TotalMilliseconds:0} ms; integrity_check: ok"));
    }
}
