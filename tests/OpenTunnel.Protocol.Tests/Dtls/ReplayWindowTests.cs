using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Protocol.Tests.Dtls;

[Trait("Category", "Unit")]
public sealed class ReplayWindowTests
{
    [Fact]
    public void IsFresh_EmptyWindow_AcceptsAnything()
    {
        var window = default(ReplayWindow);

        Assert.True(window.IsFresh(0));
        Assert.True(window.IsFresh(12345));
    }

    [Fact]
    public void IsFresh_SameSequenceTwice_SecondIsReplay()
    {
        var window = default(ReplayWindow);
        window.Accept(7);

        Assert.False(window.IsFresh(7));
        Assert.True(window.IsFresh(8));
    }

    [Fact]
    public void IsFresh_OutOfOrderInsideWindow_AcceptedOnce()
    {
        var window = default(ReplayWindow);
        window.Accept(100);

        Assert.True(window.IsFresh(90));
        window.Accept(90);
        Assert.False(window.IsFresh(90));
        Assert.True(window.IsFresh(91));
        Assert.Equal(100UL, window.Highest);
    }

    [Fact]
    public void IsFresh_AtWindowEdges_OldestInsideAcceptedJustOutsideRejected()
    {
        var window = default(ReplayWindow);
        window.Accept(1000);

        Assert.True(window.IsFresh(1000 - ReplayWindow.Size + 1));
        Assert.False(window.IsFresh(1000 - ReplayWindow.Size));
    }

    [Fact]
    public void Accept_JumpBeyondWindow_ForgetsOldBitsButRejectsOldRecords()
    {
        var window = default(ReplayWindow);
        window.Accept(5);
        window.Accept(5 + 200);

        Assert.False(window.IsFresh(5));
        Assert.True(window.IsFresh(5 + 200 - 1));
        Assert.False(window.IsFresh(5 + 200));
    }

    [Fact]
    public void Accept_SlideByOne_KeepsEarlierBits()
    {
        var window = default(ReplayWindow);
        for (ulong s = 0; s < 10; s++)
        {
            window.Accept(s);
        }

        for (ulong s = 0; s < 10; s++)
        {
            Assert.False(window.IsFresh(s));
        }

        Assert.True(window.IsFresh(10));
    }

    [Fact]
    public void Accept_SlideBy63_KeepsTheOldestBitAtTheEdge()
    {
        var window = default(ReplayWindow);
        window.Accept(1);
        window.Accept(1 + 63);

        Assert.False(window.IsFresh(1));
        Assert.True(window.IsFresh(2));
    }

    [Fact]
    public void Accept_TooOldSequence_DoesNotChangeWindow()
    {
        var window = default(ReplayWindow);
        window.Accept(500);
        window.Accept(1);

        Assert.Equal(500UL, window.Highest);
        Assert.True(window.IsFresh(499));
    }

    [Fact]
    public void IsFresh_MaxSequence_Handled()
    {
        var window = default(ReplayWindow);
        window.Accept(DtlsRecordProtection.MaxSequence);

        Assert.False(window.IsFresh(DtlsRecordProtection.MaxSequence));
        Assert.True(window.IsFresh(DtlsRecordProtection.MaxSequence - 1));
        Assert.False(window.IsFresh(0));
    }
}
