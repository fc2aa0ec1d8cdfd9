using OpenTunnel.Gateway.Tls;
using OpenTunnel.Protocol.Streams;
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

    [Fact]
    public async Task TryReserve_SingleWriterWhileCoalescing_WhatIsPutInTheRoomLeavesAtTheFlush()
    {
        var inner = new RecordingStream();
        using var stream = new CoalescingStream(inner) { Coalescing = true, SingleWriter = true };

        await stream.WriteAsync(new byte[] { 1 });
        Assert.True(stream.TryReserve(2, out var room));
        room[0] = 2;
        room[1] = 3;
        stream.Commit(2);
        await stream.FlushAsync();

        Assert.Equal([[1, 2, 3]], inner.Writes);
    }

    [Fact]
    public void TryReserve_WithAnotherWriterPossible_NotCoalescing_OrNoRoomLeft_SaysNo()
    {
        using var shared = new CoalescingStream(new RecordingStream()) { Coalescing = true };
        using var passing = new CoalescingStream(new RecordingStream()) { SingleWriter = true };
        using var single = new CoalescingStream(new RecordingStream()) { Coalescing = true, SingleWriter = true };

        Assert.False(shared.TryReserve(1, out _));
        Assert.False(passing.TryReserve(1, out _));
        Assert.False(single.TryReserve(64 * 1024 + 1, out _));
        Assert.False(shared.HoldsBuffer || passing.HoldsBuffer || single.HoldsBuffer);
    }

    [Fact]
    public async Task ReadAsync_WhileTapping_EndsAtEachRecord_AndKeepsTheLastApplicationDataRecord()
    {
        byte[] handshake = [22, 3, 3, 0, 2, 0xAA, 0xBB];
        byte[] data = [23, 3, 3, 0, 3, 1, 2, 3];
        var (client, server) = InMemoryDuplexStream.CreatePair();
        using var stream = new CoalescingStream(server);
        await client.WriteAsync((byte[])[.. handshake, .. data]);

        byte[] buffer = new byte[64];
        int total = 0;
        var reads = new List<int>();
        while (total < handshake.Length + data.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(total));
            reads.Add(n);
            total += n;
        }

        Assert.Equal([5, 2, 5, 3], reads);
        Assert.Equal(data, stream.LastRecordRead);
        stream.StopTapping();
        Assert.Null(stream.LastRecordRead);
    }

    [Fact]
    public async Task WriteAsync_WhileTapping_AnOverlongRecordIsFollowedButNotKept()
    {
        byte[] data = [23, 3, 3, 0, 1, 9];
        byte[] overlong = [23, 3, 3, 0xFF, 0xFF, .. new byte[0xFFFF]];
        byte[] empty = [21, 3, 3, 0, 0];
        using var stream = new CoalescingStream(new RecordingStream());

        await stream.WriteAsync(data);
        await stream.WriteAsync(overlong);
        await stream.WriteAsync(empty);
        await stream.WriteAsync(data.AsMemory(0, 2));
        Assert.Equal(data, stream.LastRecordWritten);
        await stream.WriteAsync(new byte[] { 3, 0, 1, 8 });

        Assert.Equal([23, 3, 3, 0, 1, 8], stream.LastRecordWritten);
    }
}
