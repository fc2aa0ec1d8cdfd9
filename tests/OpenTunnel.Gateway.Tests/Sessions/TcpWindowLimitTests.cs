using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Traffic;
using Microsoft.Extensions.Time.Testing;

namespace OpenTunnel.Gateway.Tests.Sessions;

[Trait("Category", "Unit")]
public sealed class TcpWindowLimitTests
{
    [Fact]
    public void Next_RoundTripUnknown_Floor() =>
        Assert.Equal(TcpWindowLimit.FloorBytes, TcpWindowLimit.Next(TcpWindowLimit.FloorBytes, 100_000_000, null));

    [Fact]
    public void Next_FastLongPath_FourTimesWhatItCarriesInARoundTrip() =>
        // 12.5 MB/s (100 Mbit/s) over 40 ms: 500 KB in flight.
        Assert.Equal(2_000_000, TcpWindowLimit.Next(TcpWindowLimit.FloorBytes, 12_500_000, 40_000));

    [Fact]
    public void Next_ShortPath_Floor() =>
        // A client next to the gateway that reads at 60 MB/s: 6 KB in a 100 µs round trip.
        Assert.Equal(TcpWindowLimit.FloorBytes, TcpWindowLimit.Next(TcpWindowLimit.FloorBytes, 60_000_000, 100));

    [Fact]
    public void Next_TrafficStops_FallsByHalfAtMost() =>
        Assert.Equal(1_000_000, TcpWindowLimit.Next(2_000_000, 0, 40_000));

    [Fact]
    public void Next_HugeRate_CappedAtTheLargestWindowTcpAdvertises() =>
        Assert.Equal(ushort.MaxValue << 14, TcpWindowLimit.Next(TcpWindowLimit.FloorBytes, long.MaxValue / 1_000_000, 1_000_000));

    [Fact]
    public void Bytes_ReadsTheRateOfTheSessionsTlsTrafficEveryInterval()
    {
        var time = new FakeTimeProvider();
        var traffic = new SessionTraffic();
        int reads = 0;
        var limit = new TcpWindowLimit(Transport.Tls, () => { reads++; return 40_000; }, traffic, time);
        Assert.Equal(TcpWindowLimit.FloorBytes, limit.Bytes);

        traffic.CountToClient(Transport.Tls, 1_250_000, time.GetTimestamp());
        traffic.CountToClient(Transport.Dtls, 50_000_000, time.GetTimestamp());
        time.Advance(TcpWindowLimit.RefreshInterval);

        // 1.25 MB in 100 ms over TLS (DTLS does not count): 12.5 MB/s, over 40 ms.
        Assert.Equal(2_000_000, limit.Bytes);
        Assert.Equal(2_000_000, limit.Bytes);
        Assert.Equal(1, reads);
    }

    [Fact]
    public void Bytes_OverDtls_FollowsTheSessionsDtlsTraffic()
    {
        var time = new FakeTimeProvider();
        var traffic = new SessionTraffic();
        traffic.CountToClient(Transport.Dtls, 7_000_000, time.GetTimestamp());
        var limit = new TcpWindowLimit(Transport.Dtls, () => 40_000, traffic, time);

        traffic.CountToClient(Transport.Dtls, 2_500_000, time.GetTimestamp());
        traffic.CountToClient(Transport.Tls, 50_000_000, time.GetTimestamp());
        time.Advance(TcpWindowLimit.RefreshInterval);

        // 2.5 MB in 100 ms over DTLS since the limit was made (TLS does not count): 25 MB/s, over 40 ms.
        Assert.Equal(4_000_000, limit.Bytes);
        Assert.Equal(Transport.Dtls, limit.Transport);
    }
}
