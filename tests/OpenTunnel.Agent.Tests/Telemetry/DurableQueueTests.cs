using Microsoft.Extensions.Logging.Testing;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Telemetry;
using OpenTunnel.Testing;

namespace OpenTunnel.Agent.Tests.Telemetry;

[Trait("Category", "Unit")]
public sealed class DurableQueueTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    [Fact]
    public void Enqueue_ThenPeek_GivesRisingSequencesOldestFirst()
    {
        var queue = new DurableQueue<TelemetrySample>(_directory.Path, 100);

        for (int i = 0; i < 3; i++)
        {
            queue.Enqueue(Sample);
        }

        Assert.Equal([1L, 2L, 3L], queue.Peek(10).Select(s => s.Sequence));
        Assert.Equal([1L, 2L], queue.Peek(2).Select(s => s.Sequence));
    }

    [Fact]
    public void Enqueue_FolderCannotBeWritten_KeepsItemsInMemoryWithinTheBound_LogsOnce_AndWritesThemWhenItCanAgain()
    {
        var logs = new FakeLogCollector();
        var queue = new DurableQueue<TelemetrySample>(_directory.Path, 10, new FakeLogger(logs));
        queue.Enqueue(Sample);

        // A directory in the counter file's place makes the rename fail, as a full disk makes the write fail
        // (the tests run as root, whom file modes do not stop).
        File.Delete(_directory.File("next-sequence"));
        Directory.CreateDirectory(Path.Combine(_directory.File("next-sequence"), "blocker"));
        for (int i = 0; i < 14; i++)
        {
            queue.Enqueue(Sample);
        }

        Assert.Equal(10, queue.Count);
        Assert.Equal(10, queue.InMemoryCount);
        Assert.Equal(5, queue.Dropped);
        Assert.Equal(Enumerable.Range(6, 10).Select(i => (long)i), queue.Peek(100).Select(s => s.Sequence));
        Assert.Equal(1, logs.GetSnapshot().Count(r => r.Id.Id == 215));

        Directory.Delete(_directory.File("next-sequence"), recursive: true);
        queue.Enqueue(Sample);

        Assert.Equal(0, queue.InMemoryCount);
        Assert.Equal("17", File.ReadAllText(_directory.File("next-sequence")));
        Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 216);
        var reopened = new DurableQueue<TelemetrySample>(_directory.Path, 10);
        Assert.Equal(Enumerable.Range(7, 10).Select(i => (long)i), reopened.Peek(100).Select(s => s.Sequence));
        Assert.Equal(17, reopened.NextSequence);
    }

    [Fact]
    public void Acknowledge_ForgetsUpToTheSequence()
    {
        var queue = new DurableQueue<TelemetrySample>(_directory.Path, 100);
        for (int i = 0; i < 4; i++)
        {
            queue.Enqueue(Sample);
        }

        queue.Acknowledge(2);

        Assert.Equal([3L, 4L], queue.Peek(10).Select(s => s.Sequence));
    }

    [Fact]
    public void NewQueueOnTheSameDirectory_KeepsSamplesAndNeverReusesASequence()
    {
        var first = new DurableQueue<TelemetrySample>(_directory.Path, 100);
        first.Enqueue(Sample);
        first.Enqueue(Sample);
        first.Acknowledge(2);
        first.Enqueue(Sample);

        var second = new DurableQueue<TelemetrySample>(_directory.Path, 100);
        second.Enqueue(Sample);

        Assert.Equal([3L, 4L], second.Peek(10).Select(s => s.Sequence));
    }

    [Fact]
    public void Enqueue_PastCapacity_DropsTheOldestAndCountsThem()
    {
        var queue = new DurableQueue<TelemetrySample>(_directory.Path, 10);

        for (int i = 0; i < 12; i++)
        {
            queue.Enqueue(Sample);
        }

        Assert.Equal(10, queue.Count);
        Assert.Equal(2, queue.Dropped);
        Assert.Equal(3, queue.Peek(1)[0].Sequence);
    }

    [Fact]
    public void Acknowledge_AboveWhatWasGivenOut_MovesTheCounterPast()
    {
        var queue = new DurableQueue<TelemetrySample>(_directory.Path, 10);
        queue.Enqueue(Sample);

        queue.Acknowledge(40);

        Assert.Equal(41, queue.Enqueue(Sample).Sequence);
    }

    public void Dispose() => _directory.Dispose();

    private static TelemetrySample Sample(long sequence) =>
        new(sequence, DateTime.UtcNow, 1, 2, 3, 4, 1, 0, 0, 0, null, null, null, "test", null, null, null, null, false, null);
}
