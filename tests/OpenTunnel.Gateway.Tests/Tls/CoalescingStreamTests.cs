using OpenTunnel.Gateway.Tls;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Tls;

[Trait("Category", "Unit")]
public sealed class CoalescingStreamTests
{
    [Fact]
    public async Task WriteAsync_CoalescingOff_PassesEachWriteThrough()
    {
        var inner = new RecordingStream();
        using var stream = new CoalescingStream(inner);

        await stream.WriteAsync(new byte[] { 1, 2 });
        await stream.WriteAsync(new byte[] { 3 });

        Assert.Equal([[1, 2], [3]], inner.Writes);
    }

    [Fact]
    public async Task WriteAsync_CoalescingOn_SendsRecordsTogetherAtTheFlush()
    {
        var inner = new RecordingStream();
        using var stream = new CoalescingStream(inner) { Coalescing = true };

        await stream.WriteAsync(new byte[] { 1, 2 });
        await stream.WriteAsync(new byte[] { 3 });
        Assert.Empty(inner.Writes);
        await stream.FlushAsync();

        Assert.Equal([[1, 2, 3]], inner.Writes);
        Assert.Equal(1, inner.Flushes);
    }

    [Fact]
    public async Task WriteAsync_BufferFull_SendsWhatWasCollectedFirst()
    {
        var inner = new RecordingStream();
        using var stream = new CoalescingStream(inner) { Coalescing = true };
        byte[] record = new byte[40 * 1024];

        await stream.WriteAsync(record);
        await stream.WriteAsync(record);
        await stream.FlushAsync();

        Assert.Equal(2, inner.Writes.Count);
        Assert.All(inner.Writes, w => Assert.Equal(record.Length, w.Length));
    }

    [Fact]
    public async Task FlushAsync_AfterCollectedRecords_HoldsNoBufferUntilTheNextRecord()
    {
        var inner = new RecordingStream();
        using var stream = new CoalescingStream(inner) { Coalescing = true };
        Assert.False(stream.HoldsBuffer);

        await stream.WriteAsync(new byte[] { 1 });
        Assert.True(stream.HoldsBuffer);
        await stream.FlushAsync();
        Assert.False(stream.HoldsBuffer);
        await stream.WriteAsync(new byte[] { 2 });
        await stream.FlushAsync();

        Assert.Equal([[1], [2]], inner.Writes);
    }
}
