using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Agents;

namespace OpenTunnel.Management.Tests.Agents;

[Trait("Category", "Unit")]
public sealed class SessionSnapshotIngestTests
{
    private static readonly DateTime Now = new(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Validate_EmptyAndFullSnapshots_AreValid()
    {
        Assert.True(SessionSnapshotIngest.Validate(new SessionSnapshot(Now, 0, []), Now).IsValid);
        Assert.True(SessionSnapshotIngest.Validate(new SessionSnapshot(Now, 2, [Session(1), Session(2) with { Channel = null, Address = null, ConnectedSince = null }]), Now).IsValid);
    }

    [Fact]
    public void Validate_TooMany_FewerTotal_Future_AndBadSessions_NameTheField()
    {
        LiveSession[] tooMany = [.. Enumerable.Range(1, SessionSnapshot.MaximumSessions + 1).Select(i => Session(i))];
        Assert.Contains("sessions", SessionSnapshotIngest.Validate(new SessionSnapshot(Now, tooMany.Length, tooMany), Now).ToDictionary().Keys);
        var errors = SessionSnapshotIngest.Validate(new SessionSnapshot(Now.AddHours(1), 1,
        [
            Session(1),
            Session(1) with { User = "", ClientAddress = "198.18.1.2", Address = "2001:db8::1", Address6 = "198.18.128.9", Channel = "UDP", BytesIn = -1 },
        ]), Now).ToDictionary();

        Assert.Contains("total", errors.Keys);
        Assert.Contains("takenAt", errors.Keys);
        Assert.Contains("sessions[1].sessionId", errors.Keys);
        Assert.Contains("sessions[1].user", errors.Keys);
        Assert.Contains("sessions[1].clientAddress", errors.Keys);
        Assert.Contains("sessions[1].address", errors.Keys);
        Assert.Contains("sessions[1].address6", errors.Keys);
        Assert.Contains("sessions[1].channel", errors.Keys);
        Assert.Contains("sessions[1].bytesIn", errors.Keys);
        Assert.DoesNotContain(errors.Keys, k => k.StartsWith("sessions[0]", StringComparison.Ordinal));
    }

    private static LiveSession Session(long id) =>
        new(id, "alice", null, "198.18.1.2:40000", "198.18.128.2", null, "TLS", Now.AddHours(-1), Now.AddMinutes(-1), 1, 2);
}
