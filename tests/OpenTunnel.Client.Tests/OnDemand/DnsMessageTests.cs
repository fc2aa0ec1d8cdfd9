using OpenTunnel.Client.OnDemand;

namespace OpenTunnel.Client.Tests.OnDemand;

[Trait("Category", "Unit")]
public sealed class DnsMessageTests
{
    /// <summary>A query for APP.Corp.test, type A, class IN, with RD set (as glibc sends it).</summary>
    private static readonly byte[] Query =
    [
        0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
        3, (byte)'A', (byte)'P', (byte)'P', 4, (byte)'C', (byte)'o', (byte)'r', (byte)'p', 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 0,
        0, 1, 0, 1,
    ];

    [Fact]
    public void QuestionName_OneQuestion_LowerCaseWithoutFinalDot()
    {
        Assert.Equal("app.corp.test", DnsMessage.QuestionName(Query));
        Assert.Equal(0x1234, DnsMessage.Id(Query));
    }

    [Fact]
    public void QuestionName_AnswerTruncatedOrTwoQuestions_IsNull()
    {
        byte[] answer = [.. Query];
        answer[2] |= 0x80;
        byte[] two = [.. Query];
        two[5] = 2;

        Assert.Null(DnsMessage.QuestionName(answer));
        Assert.Null(DnsMessage.QuestionName(two));
        Assert.Null(DnsMessage.QuestionName(Query.AsSpan(0, 20)));
        Assert.Null(DnsMessage.QuestionName(Query.AsSpan(0, 28)));
        Assert.Null(DnsMessage.QuestionName([1, 2, 3]));
    }

    [Fact]
    public void ServerFailure_KeepsIdAndQuestion_SetsQrRaAndServfail()
    {
        byte[] query = [.. Query, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0]; // with an EDNS OPT record
        query[11] = 1;

        byte[] answer = DnsMessage.ServerFailure(query);

        Assert.Equal(Query.Length, answer.Length);
        Assert.Equal(0x1234, DnsMessage.Id(answer));
        Assert.Equal(0x81, answer[2]);
        Assert.Equal(DnsMessage.ServerFailureCode, DnsMessage.ResponseCode(answer));
        Assert.Equal(0, answer[11]);
        Assert.Equal("app.corp.test", DnsMessage.QuestionName([.. answer[..2], 0x01, .. answer[3..]]));
    }
}
