using OpenTunnel.Protocol.Cstp;

namespace OpenTunnel.Protocol.Tests.Cstp;

[Trait("Category", "Unit")]
public sealed class CstpFrameBatchTests
{
    [Fact]
    public void Commit_PacketsWrittenIntoNextPacket_BecomeConsecutiveDataFrames()
    {
        var batch = new CstpFrameBatch();
        new byte[] { 0x45, 1, 2 }.CopyTo(batch.NextPacket);
        batch.Commit(3);
        new byte[] { 0x60, 9 }.CopyTo(batch.NextPacket);
        batch.Commit(2);

        var frames = batch.Frames.Span;
        Assert.Equal(2 * CstpFrame.HeaderLength + 5, frames.Length);
        Assert.Equal(CstpHeaderStatus.Complete, CstpFrame.TryReadHeader(frames, out var type, out int length));
        Assert.Equal((CstpPacketType.Data, 3), (type, length));
        Assert.Equal([0x45, 1, 2], frames.Slice(CstpFrame.HeaderLength, 3).ToArray());
        var second = frames[(CstpFrame.HeaderLength + 3)..];
        Assert.Equal(CstpHeaderStatus.Complete, CstpFrame.TryReadHeader(second, out type, out length));
        Assert.Equal((CstpPacketType.Data, 2), (type, length));
        Assert.Equal([0x60, 9], second[CstpFrame.HeaderLength..].ToArray());
        Assert.Equal((2, 5L), (batch.Packets, batch.PayloadBytes));
    }

    [Fact]
    public void IsFull_AtTheTarget_RefusesMoreUntilCleared()
    {
        var batch = new CstpFrameBatch();
        int packets = 0;
        while (!batch.IsFull)
        {
            Assert.True(batch.NextPacket.Length >= 1400);
            batch.Commit(1400);
            packets++;
        }

        Assert.Equal((CstpFrameBatch.Target + 1407) / 1408, packets);
        Assert.Throws<InvalidOperationException>(() => batch.Commit(10));
        Assert.Throws<InvalidOperationException>(() => batch.NextPacket.Length);

        batch.Clear();

        Assert.Equal((0, 0, 0L, false), (batch.Length, batch.Packets, batch.PayloadBytes, batch.IsFull));
        Assert.Equal(CstpFrame.MaxPayloadLength, batch.NextPacket.Length);
    }

    [Fact]
    public void Commit_TheLargestPayloadJustBelowTheTarget_Fits()
    {
        var batch = new CstpFrameBatch();
        batch.Commit(CstpFrameBatch.Target - CstpFrame.HeaderLength - 1);
        Assert.False(batch.IsFull);

        batch.NextPacket[^1] = 7;
        batch.Commit(CstpFrame.MaxPayloadLength);

        Assert.True(batch.IsFull);
        Assert.Equal(7, batch.Frames.Span[^1]);
    }
}
