using System.Net;
using OpenTunnel.Gateway.Sessions;

namespace OpenTunnel.Gateway.Tests.Sessions;

[Trait("Category", "Unit")]
public sealed class SessionTableTests
{
    private static readonly IPEndPoint Client = IPEndPoint.Parse("198.18.1.2:40000");

    [Fact]
    public void TryCreate_NewSession_HasA32ByteCookieFoundByValue()
    {
        var table = new SessionTable();

        var session = table.TryCreate("alice", "dev1", Client, DateTimeOffset.UtcNow, 10, 2, out _);

        Assert.NotNull(session);
        Assert.Equal(64, session.Cookie!.Length);
        Assert.Same(session, table.Find(session.Cookie));
        Assert.Null(table.Find(session.Cookie.ToUpperInvariant() + "x"));
    }

    [Fact]
    public void TryCreate_TwoSessions_GetDifferentCookiesAndIds()
    {
        var table = new SessionTable();

        var a = table.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 0, out _)!;
        var b = table.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 0, out _)!;

        Assert.NotEqual(a.Cookie, b.Cookie);
        Assert.NotEqual(a.Id, b.Id);
    }

    [Fact]
    public void TryCreate_OverMaxSessions_IsRefusedByName()
    {
        var table = new SessionTable();
        table.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 1, 0, out _);

        var refused = table.TryCreate("bob", null, Client, DateTimeOffset.UtcNow, 1, 0, out string? refusal);

        Assert.Null(refused);
        Assert.Equal("max-sessions", refusal);
    }

    [Fact]
    public void TryCreate_OverMaxSessionsPerUser_RefusesThatUserOnly()
    {
        var table = new SessionTable();
        table.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 1, out _);

        Assert.Null(table.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 1, out string? refusal));
        Assert.Equal("max-sessions-per-user", refusal);
        Assert.NotNull(table.TryCreate("bob", null, Client, DateTimeOffset.UtcNow, 10, 1, out _));
    }

    [Fact]
    public void Remove_Session_RevokesItsCookie()
    {
        var table = new SessionTable();
        var session = table.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 0, out _)!;

        Assert.True(table.Remove(session));

        Assert.Null(table.Find(session.Cookie));
        Assert.True(session.Ended);
        Assert.False(table.Remove(session));
    }

    [Fact]
    public void FindByIdOrUser_MatchesIdOrUserName()
    {
        var table = new SessionTable();
        var a = table.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 0, out _)!;
        table.TryCreate("bob", null, Client, DateTimeOffset.UtcNow, 10, 0, out _);

        Assert.Equal([a], table.FindByIdOrUser(a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Single(table.FindByIdOrUser("bob"));
        Assert.Empty(table.FindByIdOrUser("carol"));
    }

    [Fact]
    public void FindByIdOrUser_Subject_MatchesTheSessionsOfThatSubjectWhateverTheirName()
    {
        var table = new SessionTable();
        var before = table.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 0, out _, subject: "7c9e6679-7425-40de-944b-e07fc1f90ae7")!;
        var renamed = table.TryCreate("alice2", null, Client, DateTimeOffset.UtcNow, 10, 0, out _, subject: "7c9e6679-7425-40de-944b-e07fc1f90ae7")!;
        table.TryCreate("bob", null, Client, DateTimeOffset.UtcNow, 10, 0, out _, subject: "another-subject");

        Assert.Equal([before, renamed], table.FindByIdOrUser("7c9e6679-7425-40de-944b-e07fc1f90ae7"));
    }

    [Fact]
    public void Restore_SavedSession_IsFoundByTheCookieWhoseHashWasSavedAndKeepsItsIdAndAddress()
    {
        var before = new SessionTable();
        var original = before.TryCreate("alice", "dev1", Client, DateTimeOffset.UtcNow.AddMinutes(-10), 10, 0, out _, subject: "sub-1")!;
        original.IPv4Address = 0xC6128005;
        var restarted = new SessionTable();
        var now = DateTimeOffset.UtcNow;

        var restored = restarted.Restore(SavedSession.Of(original), now)!;

        Assert.Same(restored, restarted.Find(original.Cookie));
        Assert.Null(restored.Cookie);
        Assert.Equal((original.Id, "alice", "dev1", "sub-1", 0xC6128005u), (restored.Id, restored.UserName, restored.DeviceId, restored.Subject, restored.IPv4Address));
        Assert.Equal(now, restored.DataPath.DetachedSince);
        Assert.Null(restarted.Restore(SavedSession.Of(original), now));
        Assert.True(restarted.TryCreate("bob", null, Client, now, 10, 0, out _)!.Id > original.Id);
    }

    [Fact]
    public void Changed_FiresOnCreateAndRemove()
    {
        var table = new SessionTable();
        int changes = 0;
        table.Changed += () => changes++;

        var session = table.TryCreate("alice", null, Client, DateTimeOffset.UtcNow, 10, 0, out _)!;
        table.Remove(session);
        table.Remove(session);

        Assert.Equal(2, changes);
    }
}
