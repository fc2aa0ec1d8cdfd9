using Microsoft.Extensions.Primitives;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.AccessLog;

namespace OpenTunnel.Management.Tests.AccessLog;

[Trait("Category", "Unit")]
public sealed class AccessLogQueryTests
{
    private static readonly DateTime Now = new(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Parse_NoParameters_FiftyNewestUnfiltered()
    {
        AccessLogQuery query = AccessLogQuery.Parse([], out _)!;

        Assert.Equal(new AccessLogQuery(null, null, null, null, null, null, 50, null), query);
    }

    [Fact]
    public void Parse_TimesWithAnOffsetOrNone_AreUtc()
    {
        AccessLogQuery query = AccessLogQuery.Parse(Query(("from", "2026-12-01T10:00:00+02:00"), ("to", "2026-12-02T00:00:00"), ("LIMIT", "7")), out _)!;

        Assert.Equal(new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc), query.From);
        Assert.Equal(DateTimeKind.Utc, query.From!.Value.Kind);
        Assert.Equal(new DateTime(2026, 12, 2, 0, 0, 0, DateTimeKind.Utc), query.To);
        Assert.Equal(7, query.Limit);
    }

    [Fact]
    public void Cursor_RoundTrips_AndForgedTextIsRefused()
    {
        var cursor = new AccessLogCursor(Now, 42);

        Assert.True(AccessLogCursor.TryParse(cursor.ToString(), out AccessLogCursor parsed));
        Assert.Equal(cursor, parsed);
        Assert.False(AccessLogCursor.TryParse("MTIzNA", out _));
        Assert.False(AccessLogCursor.TryParse("bad cursor!", out _));
        Assert.Contains("cursor", AccessLogQuery.Parse(Query(("cursor", "bad cursor!")), out var errors) is null ? errors.ToDictionary().Keys : []);
    }

    [Fact]
    public void Validate_GoodBatch_IsValid() =>
        Assert.True(AccessLogIngest.Validate(new AccessRecordBatch([Record(1), Record(2)]), Now).IsValid);

    [Fact]
    public void Validate_BadRecords_NameTheField()
    {
        Assert.Contains("records", AccessLogIngest.Validate(new AccessRecordBatch([]), Now).ToDictionary().Keys);
        var errors = AccessLogIngest.Validate(new AccessRecordBatch([
            Record(1) with { Id = Guid.Empty, User = " ", ClientAddress = "nowhere", Address = "2001:db8::1", Address6 = "198.18.128.1" },
            Record(2) with { EndedAt = Now.AddHours(1), BytesIn = -1 },
            Record(3) with { StartedAt = Now, EndedAt = Now.AddMinutes(-1) },
        ]), Now).ToDictionary();

        Assert.Equal(
            ["records[0].id", "records[0].user", "records[0].clientAddress", "records[0].address", "records[0].address6", "records[1].endedAt", "records[1].bytesIn", "records[2].endedAt"],
            errors.Keys);
    }

    private static AccessRecord Record(long sequence) =>
        new(sequence, Guid.NewGuid(), sequence, "alice", "sub-1", "dev-1", "[2001:db8:1::2]:40000", "198.18.128.5", "2001:db8:128::5", Now.AddHours(-1), Now, "idle timeout", 10, 20);

    private static Dictionary<string, StringValues> Query(params (string Name, string Value)[] values) =>
        values.ToDictionary(v => v.Name, v => new StringValues(v.Value));
}
