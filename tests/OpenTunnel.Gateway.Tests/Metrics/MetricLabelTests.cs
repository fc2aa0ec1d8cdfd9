using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Tests.Metrics;

[Trait("Category", "Unit")]
public sealed class MetricLabelTests
{
    [Theory]
    [InlineData(DropReason.SpoofedSource, "spoofed_source")]
    [InlineData(DropReason.ClientToClient, "client_to_client")]
    [InlineData(DropReason.Malformed, "malformed")]
    [InlineData(DropReason.NoIPv6Address, "no_ipv6_address")]
    [InlineData(DropReason.NoSession, "no_session")]
    [InlineData(DropReason.QueueFull, "queue_full")]
    [InlineData(DropReason.TunWriteFailed, "tun_write_failed")]
    [InlineData(DropReason.TunQueueFull, "tun_queue_full")]
    [InlineData(DropReason.UnexpectedFrame, "unexpected_frame")]
    public void Of_DropReason_IsTheLabelDashboardsUse(DropReason reason, string label) => Assert.Equal(label, MetricLabel.Of(reason));

    [Theory]
    [InlineData(DtlsDropReason.UnknownPeer, "unknown_peer")]
    [InlineData(DtlsDropReason.UnknownSession, "unknown_session")]
    [InlineData(DtlsDropReason.Malformed, "malformed")]
    [InlineData(DtlsDropReason.AuthenticationFailed, "authentication_failed")]
    [InlineData(DtlsDropReason.Replayed, "replayed")]
    [InlineData(DtlsDropReason.WrongEpoch, "wrong_epoch")]
    [InlineData(DtlsDropReason.HandshakesBusy, "handshakes_busy")]
    [InlineData(DtlsDropReason.HandshakeQueueFull, "handshake_queue_full")]
    [InlineData(DtlsDropReason.Unexpected, "unexpected")]
    public void Of_DtlsDropReason_IsTheLabelDashboardsUse(DtlsDropReason reason, string label) => Assert.Equal(label, MetricLabel.Of(reason));

    [Theory]
    [InlineData(DtlsHandshakeResult.Succeeded, "succeeded")]
    [InlineData(DtlsHandshakeResult.Failed, "failed")]
    [InlineData(DtlsHandshakeResult.TimedOut, "timed_out")]
    public void Of_DtlsHandshakeResult_IsTheLabelDashboardsUse(DtlsHandshakeResult result, string label) => Assert.Equal(label, MetricLabel.Of(result));

    [Fact]
    public void Of_EveryMemberOfEachEnum_IsDistinctLowerCaseSnakeCase()
    {
        string[] labels = [.. Enum.GetValues<DropReason>().Select(MetricLabel.Of), .. Enum.GetValues<DtlsDropReason>().Select(MetricLabel.Of)];

        Assert.All(labels, label => Assert.Matches("^[a-z0-9]+(_[a-z0-9]+)*$", label));
        Assert.Equal(Enum.GetValues<DropReason>().Length, Enum.GetValues<DropReason>().Select(MetricLabel.Of).Distinct().Count());
    }
}
