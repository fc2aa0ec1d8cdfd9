using System.Net;
using OpenTunnel.Gateway.Sessions;

namespace OpenTunnel.Gateway.Tests.Sessions;

[Trait("Category", "Unit")]
public sealed class EndedSessionJournalTests
{
    private static readonly DateTimeOffset SignedIn = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Add_KeepsTheSessionsFacts_WithRisingSequenceAndAnIdOfItsOwn()
    {
        var journal = new EndedSessionJournal();
        var session = Session(7, "alice");
        session.IPv4Address = 0xC6128005;

        EndedSession first = journal.Add(session, "idle timeout", SignedIn.AddHours(1));
        EndedSession second = journal.Add(Session(8, "bob"), "client disconnected", SignedIn.AddHours(2));

        Assert.Equal((1L, 2L), (first.Sequence, second.Sequence));
        Assert.NotEqual(first.RecordId, second.RecordId);
        Assert.Equal((7L, "alice", "dev-1", "idle timeout", 0xC6128005u), (first.SessionId, first.UserName, first.DeviceId, first.Reason, first.IPv4Address));
        Assert.Equal((SignedIn, SignedIn.AddHours(1)), (first.SignedInAt, first.EndedAt));
        Assert.Equal(IPEndPoint.Parse("198.18.1.2:40000"), first.Client);
    }

    [Fact]
    public void Read_WithThisJournalsId_ForgetsWhatWasAcknowledged_AndGivesTheRestOldestFirst()
    {
        var journal = new EndedSessionJournal();
        for (int i = 1; i <= 5; i++)
        {
            journal.Add(Session(i, "alice"), "client disconnected", SignedIn);
        }

        IReadOnlyList<EndedSession> firstTwo = journal.Read(null, 0, 2);
        IReadOnlyList<EndedSession> again = journal.Read(null, 2, 10);
        IReadOnlyList<EndedSession> rest = journal.Read(journal.Id, firstTwo[^1].Sequence, 10);

        Assert.Equal([1L, 2L], firstTwo.Select(r => r.Sequence));
        Assert.Equal([1L, 2L, 3L, 4L, 5L], again.Select(r => r.Sequence));
        Assert.Equal([3L, 4L, 5L], rest.Select(r => r.Sequence));
        Assert.Equal(3, journal.Count);
    }

    [Fact]
    public void Read_WithAnotherJournalsId_ForgetsNothing()
    {
        var journal = new EndedSessionJournal();
        journal.Add(Session(1, "alice"), "client disconnected", SignedIn);

        IReadOnlyList<EndedSession> records = journal.Read(Guid.NewGuid(), 100, 10);

        Assert.Single(records);
        Assert.Equal(1, journal.Count);
    }

    [Fact]
    public void Add_PastCapacity_DropsTheOldestAndCountsThem()
    {
        var journal = new EndedSessionJournal(capacity: 3);

        for (int i = 1; i <= 5; i++)
        {
            journal.Add(Session(i, "alice"), "client disconnected", SignedIn);
        }

        Assert.Equal(2, journal.Dropped);
        Assert.Equal([3L, 4L, 5L], journal.Read(null, 0, 10).Select(r => r.SessionId));
    }

    private static GatewaySession Session(long id, string user) =>
        new(id, "cookie", $"hash-{id}", user, "dev-1", IPEndPoint.Parse("198.18.1.2:40000"), SignedIn);
}
