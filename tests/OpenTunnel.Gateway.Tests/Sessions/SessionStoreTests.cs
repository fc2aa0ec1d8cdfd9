using System.Net;
using Microsoft.Extensions.Logging.Testing;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Platform.Linux.Files;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Sessions;

[Trait("Category", "Unit")]
public sealed class SessionStoreTests : IDisposable
{
    private static readonly IPEndPoint Client = IPEndPoint.Parse("198.18.1.2:40000");
    private readonly TemporaryDirectory _directory = new();
    private readonly SessionTable _sessions = new();
    private readonly FakeLogger _logger = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void SaveNow_WritesAnOwnerOnlyFileWithTheCookiesHashNeverTheCookie()
    {
        var store = new SessionStore(_directory.File(SessionFile.FileName), _sessions, _logger);
        var session = _sessions.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 0, out _)!;

        store.SaveNow();

        string text = File.ReadAllText(store.Path);
        Assert.DoesNotContain(session.Cookie!, text, StringComparison.Ordinal);
        Assert.Contains(SessionTable.HashCookie(session.Cookie!), text, StringComparison.Ordinal);
        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(store.Path));
        Assert.Equal(session.Id, Assert.Single(store.Read(out string? problem)).Id);
        Assert.Null(problem);
    }

    [Fact]
    public void SaveNow_AfterTheSessionEnded_LeavesItOut()
    {
        var store = new SessionStore(_directory.File(SessionFile.FileName), _sessions, _logger);
        var session = _sessions.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 0, out _)!;
        store.SaveNow();

        _sessions.Remove(session);
        store.SaveNow();

        Assert.Empty(store.Read(out _));
    }

    [Fact]
    public void SaveNow_AfterDelete_LeavesNoFile()
    {
        var store = new SessionStore(_directory.File(SessionFile.FileName), _sessions, _logger);
        _sessions.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 0, out _);
        store.SaveNow();

        // The clean stop deletes the file while the writer still holds a wake-up from the last change.
        store.Delete();
        store.SaveNow();

        Assert.False(File.Exists(store.Path));
    }

    [Fact]
    public async Task RunAsync_WritesEachChangeOfTheTable()
    {
        var store = new SessionStore(_directory.File(SessionFile.FileName), _sessions, _logger);
        using var stopping = new CancellationTokenSource();
        var running = store.RunAsync(stopping.Token);

        _sessions.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 0, out _);
        _sessions.TryCreate("bob", null, Client, DateTimeOffset.UtcNow, 10, 0, out _);

        await WaitForSavedAsync(store, 2);

        Assert.Equal(["alice", "bob"], store.Read(out _).Select(s => s.UserName));
        await stopping.CancelAsync();
        await running;
    }

    [Fact]
    public async Task RunAsync_AChangeSoonAfterAWrite_IsWrittenWhenTheIntervalEnds()
    {
        var store = new SessionStore(_directory.File(SessionFile.FileName), _sessions, _logger, interval: TimeSpan.FromSeconds(5));
        using var stopping = new CancellationTokenSource();
        var running = store.RunAsync(stopping.Token);
        _sessions.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 0, out _);
        await WaitForSavedAsync(store, 1);

        _sessions.TryCreate("bob", null, Client, DateTimeOffset.UtcNow, 10, 0, out _);
        _sessions.TryCreate("carol", null, Client, DateTimeOffset.UtcNow, 10, 0, out _);

        // The writer rests after writing alice: a second later bob and carol are not written yet; they go into its next write, together.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Single(store.Read(out _));
        await WaitForSavedAsync(store, 3);
        Assert.Equal(["alice", "bob", "carol"], store.Read(out _).Select(s => s.UserName));
        await stopping.CancelAsync();
        await running;
    }

    [Fact]
    public void SaveNow_WhereItCannotWrite_LogsOnceAndRecoversWhenItCan()
    {
        string directory = _directory.File("gone");
        var store = new SessionStore(Path.Combine(directory, SessionFile.FileName), _sessions, _logger);
        _sessions.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 0, out _);

        store.SaveNow();
        store.SaveNow();
        Directory.CreateDirectory(directory);
        store.SaveNow();

        Assert.Equal([308, 309], _logger.Collector.GetSnapshot().Select(r => r.Id.Id));
        Assert.Single(store.Read(out _));
    }

    [Fact]
    public void Read_AFileThatDoesNotParse_GivesNoSessionsAndSaysWhy()
    {
        var store = new SessionStore(_directory.File(SessionFile.FileName), _sessions, _logger);
        File.WriteAllText(store.Path, "{\"version\":1,\"sessions\":[{}]}");

        Assert.Empty(store.Read(out string? problem));

        Assert.Contains("no 'cookieSha256'", problem, StringComparison.Ordinal);
    }

    private static async Task WaitForSavedAsync(SessionStore store, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (store.Read(out _).Count != count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
    }
}
