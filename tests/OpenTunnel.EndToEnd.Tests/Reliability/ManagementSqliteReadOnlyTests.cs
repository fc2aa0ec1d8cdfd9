using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Reliability;

/// <summary>
/// The management service's SQLite file made read-only under it (docs/reliability.md, "SQLite
/// file read-only"): the service runs in a private mount namespace of its own (<c>unshare -m</c>),
/// where the test bind-mounts its data directory read-only over itself, as a file system remounted
/// read-only after an error would leave it. The tests run as root, whom file modes do not stop, so a
/// read-only mount is the way to refuse the writes; nothing is mounted in the root namespace.
/// Writes answer 503 naming the cause at once, reads keep working, and once the mount is writable
/// again the same process writes without a restart; the file passes SQLite's integrity check.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ManagementSqliteReadOnlyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SqliteFileReadOnly_WritesAnswer503NamingTheCause_ReadsWork_NoCorruption_AndWritesWorkAgainWithoutARestart()
    {
        Prerequisites.RequireRootAndCommands("unshare", "nsenter", "mount", "sqlite3");
        using var data = new TemporaryDirectory();
        using var management = await ManagementProcess.StartAsync(data.Path, launcher: ["unshare", "-m", "--propagation", "private"]);
        HttpClient http = management.Api.Http;
        await management.Api.PostAsync("/api/v1/groups", new { name = "before" });

        InServiceNamespace(management, "mount", "--bind", "-o", "ro", data.Path, data.Path);
        var refusedAt = Stopwatch.StartNew();
        using (HttpResponseMessage write = await http.PostAsJsonAsync("/api/v1/groups", new { name = "during" }))
        {
            TimeSpan writeTook = refusedAt.Elapsed;
            string body = await write.Content.ReadAsStringAsync();
            Assert.True(write.StatusCode == HttpStatusCode.ServiceUnavailable, $"A write with the file read-only answered {(int)write.StatusCode}: {body}");
            Assert.Equal("application/problem+json", write.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(write.Headers.RetryAfter);
            using JsonDocument problem = JsonDocument.Parse(body);
            Assert.Equal("The database is unavailable.", problem.RootElement.GetProperty("title").GetString());
            Assert.Equal("read-only", problem.RootElement.GetProperty("cause").GetString());
            // SQLITE_READONLY ("is read-only") or SQLITE_CANTOPEN ("cannot be written (a read-only file
            // system ..."), whichever SQLite meets first: both name the cause.
            Assert.Contains("read-only", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("with 503: the database is unavailable, read-only", management.Output, StringComparison.Ordinal);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"write with the file read-only answered 503 after {writeTook.TotalMilliseconds:0} ms: {body}"));
        }

        // Reads keep working, also on connections opened while the file is read-only (more at once than the pool holds idle).
        string[] reads = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => http.GetStringAsync("/api/v1/groups")));
        Assert.All(reads, groups => Assert.Contains("\"before\"", groups, StringComparison.Ordinal));
        Assert.True(management.IsRunning, $"The service ended with the file read-only:\n{management.Output}");
        Assert.DoesNotContain("Unhandled exception", management.Output, StringComparison.Ordinal);

        // Writable again: the same process writes at the first attempt (no connection opened read-only is reused).
        InServiceNamespace(management, "mount", "-o", "remount,bind,rw", data.Path);
        var back = Stopwatch.StartNew();
        for (int i = 0; i < 8; i++)
        {
            using HttpResponseMessage write = await http.PostAsJsonAsync("/api/v1/groups", new { name = $"after{i}" });
            Assert.True(write.IsSuccessStatusCode, $"Write {i} after the file was writable again answered {(int)write.StatusCode}: {await write.Content.ReadAsStringAsync()}");
        }

        TimeSpan recovered = back.Elapsed;
        string all = await http.GetStringAsync("/api/v1/groups");
        Assert.Contains("\"before\"", all, StringComparison.Ordinal);
        Assert.Contains("\"after7\"", all, StringComparison.Ordinal);
        Assert.DoesNotContain("\"during\"", all, StringComparison.Ordinal);
        CommandResult check = await Command.RunAsync("sqlite3", [Path.Combine(data.Path, "management.db"), "PRAGMA integrity_check;"], TimeSpan.FromSeconds(20), null, CancellationToken.None);
        Assert.Equal("ok", check.EnsureSuccess().StandardOutput.Trim());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"8 writes after the file was writable again: {recovered.TotalMilliseconds:0} ms; integrity_check: ok"));
    }

    /// <summary>Runs a command in the service's mount namespace (never the root namespace's).</summary>
    private static void InServiceNamespace(ManagementProcess management, params string[] command) =>
        Command.Run("nsenter", ["-t", management.ProcessId.ToString(CultureInfo.InvariantCulture), "-m", "--", .. command]).EnsureSuccess();
}
