using OpenTunnel.Agent.AccessLog;
using OpenTunnel.Gateway.Contracts.Control;

namespace OpenTunnel.Agent.Tests.AccessLog;

[Trait("Category", "Unit")]
public sealed class AccessRecordsTests
{
    [Fact]
    public void From_GatewayRecord_KeepsItsIdAndFacts_TimesInUtc_WithTheQueuesSequence()
    {
        var ended = new EndedSessionRecord(17, Guid.NewGuid(), 4, "alice", "sub-1", "dev-1", "198.18.1.2:40000", "198.18.128.9", null,
            new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.FromHours(2)), new DateTimeOffset(2026, 12, 3, 9, 30, 0, TimeSpan.Zero), "client disconnected", 100, 200);

        var record = AccessRecords.From(ended, 3);

        Assert.Equal((3L, ended.RecordId, 4L), (record.Sequence, record.Id, record.GatewaySessionId));
        Assert.Equal(("alice", "sub-1", "dev-1", "198.18.1.2:40000", "198.18.128.9", (string?)null), (record.User, record.Subject, record.DeviceId, record.ClientAddress, record.Address, record.Address6));
        Assert.Equal(new DateTime(2026, 12, 3, 8, 0, 0, DateTimeKind.Utc), record.StartedAt);
        Assert.Equal(DateTimeKind.Utc, record.EndedAt.Kind);
        Assert.Equal(("client disconnected", 100L, 200L), (record.Reason, record.BytesIn, record.BytesOut));
    }
}
