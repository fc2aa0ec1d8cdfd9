using System.Text.Json.Nodes;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Sessions;

namespace OpenTunnel.Agent.Tests.Sessions;

[Trait("Category", "Unit")]
public sealed class LiveSessionsTests
{
    private static readonly DateTime TakenAt = new(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>Two entries as the gateway's sessions command writes them (ControlCommands.Sessions): one over DTLS, one away waiting for a reconnect.</summary>
    private const string GatewayAnswer = """
        [
          {"id":4,"user":"alice","subject":"sub-1","deviceId":"dev-1","address":"198.18.128.9","address6":"2001:db8:80::9","client":"198.18.1.2:40000",
           "bytesIn":100,"bytesOut":200,"packetsIn":1,"packetsOut":2,"signedInAt":"2026-12-03T11:00:00+01:00","connectedSince":"2026-12-03T10:30:00+00:00",
           "channel":"DTLS","dtls":{"established":true}},
          {"id":5,"user":"bob","subject":null,"deviceId":null,"address":null,"address6":null,"client":"198.18.1.3:40001",
           "bytesIn":0,"bytesOut":0,"packetsIn":0,"packetsOut":0,"signedInAt":"2026-12-03T10:00:00+00:00","connectedSince":null,"channel":"none","dtls":null}
        ]
        """;

    [Fact]
    public void From_GatewayAnswer_KeepsEachSessionsFacts_TimesInUtc_AwayHasNoChannel()
    {
        SessionSnapshot snapshot = LiveSessions.From(JsonNode.Parse(GatewayAnswer)!.AsArray(), TakenAt);

        Assert.Equal((TakenAt, 2), (snapshot.TakenAt, snapshot.Total));
        LiveSession alice = snapshot.Sessions[0];
        Assert.Equal((4L, "alice", "dev-1", "198.18.1.2:40000", "198.18.128.9", "2001:db8:80::9", "DTLS"),
            (alice.SessionId, alice.User, alice.DeviceId, alice.ClientAddress, alice.Address, alice.Address6, alice.Channel));
        Assert.Equal(new DateTime(2026, 12, 3, 10, 0, 0, DateTimeKind.Utc), alice.SignedInAt);
        Assert.Equal(DateTimeKind.Utc, alice.SignedInAt.Kind);
        Assert.Equal(new DateTime(2026, 12, 3, 10, 30, 0, DateTimeKind.Utc), alice.ConnectedSince);
        Assert.Equal((100L, 200L), (alice.BytesIn, alice.BytesOut));
        LiveSession bob = snapshot.Sessions[1];
        Assert.Null(bob.Channel);
        Assert.Null(bob.ConnectedSince);
        Assert.Null(bob.Address);
    }

    [Fact]
    public void From_MoreThanTheLimit_SendsTheFirstAndCountsAll()
    {
        var sessions = new JsonArray();
        for (int i = 1; i <= SessionSnapshot.MaximumSessions + 5; i++)
        {
            sessions.Add(new JsonObject { ["id"] = i, ["user"] = "u", ["client"] = "198.18.1.2:40000", ["signedInAt"] = "2026-12-03T10:00:00Z", ["channel"] = "TLS" });
        }

        SessionSnapshot snapshot = LiveSessions.From(sessions, TakenAt);

        Assert.Equal(SessionSnapshot.MaximumSessions + 5, snapshot.Total);
        Assert.Equal(SessionSnapshot.MaximumSessions, snapshot.Sessions.Count);
        Assert.Equal(SessionSnapshot.MaximumSessions, snapshot.Sessions[^1].SessionId);
    }

    [Theory]
    [InlineData("""[{"user":"u","client":"198.18.1.2:1","signedInAt":"2026-12-03T10:00:00Z"}]""", "\"id\"")]
    [InlineData("""[{"id":1,"client":"198.18.1.2:1","signedInAt":"2026-12-03T10:00:00Z"}]""", "\"user\"")]
    [InlineData("""[{"id":"one","user":"u","client":"198.18.1.2:1","signedInAt":"2026-12-03T10:00:00Z"}]""", "wrong kind")]
    [InlineData("""[{"id":1,"user":"u","client":"198.18.1.2:1","signedInAt":"yesterday"}]""", "wrong kind")]
    [InlineData("""[42]""", "not an object")]
    public void From_EntryWithoutAFieldOrOfTheWrongKind_IsAFormatErrorNamingIt(string answer, string expected)
    {
        var error = Assert.Throws<FormatException>(() => LiveSessions.From(JsonNode.Parse(answer)!.AsArray(), TakenAt));

        Assert.Contains("sessions[0]", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
