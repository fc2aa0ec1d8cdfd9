using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Agent.Telemetry;

/// <summary>
/// What waits for delivery to the management service (telemetry samples, access records), on
/// disk so that an outage of the service (or a restart of the agent) loses nothing: one file per
/// item, named by its sequence number and written whole (temporary file, then rename). Sequence
/// numbers are handed out from a counter file that is saved before the item, so a number is
/// never used twice even after a crash. The queue is bounded: past its capacity the oldest items
/// are dropped and counted.
/// <para>
/// When the folder cannot be written (a full or read-only disk), items are kept in memory, within
/// the same capacity, and the failure is logged once; each later item tries the disk again, and
/// the first write that succeeds writes the counter and every item held in memory, logged once.
/// Items held in memory are lost if the agent stops before then, and their numbers may be given
/// out again after a restart (the service keeps the first item it got for a number).
/// </para>
/// </summary>
/// <typeparam name="TItem">The item, serialised as the agent link's JSON.</typeparam>
public sealed class DurableQueue<TItem>
{
    private const string Extension = ".json";
    private const string CounterFileName = "next-sequence";

    private readonly string _directory;
    private readonly int _capacity;
    private readonly SortedSet<long> _queued = [];

    // Queued items whose file could not be written: a sequence number of _queued is here or on disk.
    private readonly Dictionary<long, TItem> _inMemory = [];
    private readonly ILogger? _logger;
    private readonly Lock _gate = new();
    private long _next;
    private bool _writeFailing;

    public DurableQueue(string directory, int capacity, ILogger? logger = null)
    {
        _directory = directory;
        _capacity = capacity;
        _logger = logger;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (string file in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out long sequence))
            {
                _queued.Add(sequence);
            }
        }

        string counter = Path.Combine(directory, CounterFileName);
        long stored = File.Exists(counter) && long.TryParse(File.ReadAllText(counter).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : 1;
        _next = Math.Max(stored, _queued.Count > 0 ? _queued.Max + 1 : 1);
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _queued.Count;
            }
        }
    }

    /// <summary>Items dropped because the queue was full (or their file was unreadable), since the agent started.</summary>
    public long Dropped { get; private set; }

    /// <summary>The sequence number the next item gets.</summary>
    public long NextSequence
    {
        get
        {
            lock (_gate)
            {
                return _next;
            }
        }
    }

    /// <summary>Items held in memory because their file could not be written.</summary>
    public int InMemoryCount
    {
        get
        {
            lock (_gate)
            {
                return _inMemory.Count;
            }
        }
    }

    /// <summary>Stores the item <paramref name="create"/> makes for the next sequence number: on disk, or in memory while the disk cannot be written.</summary>
    public TItem Enqueue(Func<long, TItem> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        lock (_gate)
        {
            long sequence = _next;
            _next = sequence + 1;
            TItem item = create(sequence);
            _queued.Add(sequence);
            _inMemory[sequence] = item;
            while (_queued.Count > _capacity)
            {
                long oldest = _queued.Min;
                _queued.Remove(oldest);
                Forget(oldest);
                Dropped++;
            }

            WriteHeldItems();
            return item;
        }
    }

    /// <summary>Writes the counter and the items held in memory, oldest first; called with <see cref="_gate"/> held.</summary>
    private void WriteHeldItems()
    {
        int held = _inMemory.Count;
        try
        {
            // The counter first: a number is never on disk in an item while the counter is below it.
            AgentIdentityStore.WriteAtomically(Path.Combine(_directory, CounterFileName), _next.ToString(CultureInfo.InvariantCulture));
            foreach (long sequence in _queued)
            {
                if (_inMemory.Remove(sequence, out TItem? item))
                {
                    try
                    {
                        AgentIdentityStore.WriteAtomically(FileOf(sequence), JsonSerializer.Serialize(item, AgentJson.Options));
                    }
                    catch
                    {
                        _inMemory[sequence] = item;
                        throw;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!_writeFailing && _logger is not null)
            {
                DurableQueueLog.CannotWrite(_logger, _directory, e.Message, _capacity);
            }

            _writeFailing = true;
            return;
        }

        if (_writeFailing && _logger is not null)
        {
            DurableQueueLog.WrittenAgain(_logger, _directory, held);
        }

        _writeFailing = false;
    }

    /// <summary>Removes a dropped or delivered item from memory or disk.</summary>
    private void Forget(long sequence)
    {
        if (!_inMemory.Remove(sequence))
        {
            File.Delete(FileOf(sequence));
        }
    }

    /// <summary>Up to <paramref name="maximum"/> items, oldest first. An unreadable file is dropped.</summary>
    public List<TItem> Peek(int maximum)
    {
        lock (_gate)
        {
            var items = new List<TItem>(Math.Min(maximum, _queued.Count));
            var broken = new List<long>();
            foreach (long sequence in _queued)
            {
                if (items.Count == maximum)
                {
                    break;
                }

                if (_inMemory.TryGetValue(sequence, out TItem? held))
                {
                    items.Add(held);
                    continue;
                }

                try
                {
                    items.Add(JsonSerializer.Deserialize<TItem>(File.ReadAllText(FileOf(sequence)), AgentJson.Options)!);
                }
                catch (Exception e) when (e is JsonException or IOException)
                {
                    broken.Add(sequence);
                }
            }

            foreach (long sequence in broken)
            {
                _queued.Remove(sequence);
                File.Delete(FileOf(sequence));
                Dropped++;
            }

            return items;
        }
    }

    /// <summary>
    /// Forgets every item up to <paramref name="highestSequence"/>, which the service holds. When
    /// the service holds higher numbers than this agent has given out (its data directory was
    /// restored from a backup), the counter moves past them so new items are not taken for repeats.
    /// </summary>
    public void Acknowledge(long highestSequence)
    {
        lock (_gate)
        {
            RemoveThrough(highestSequence);
            if (highestSequence >= _next)
            {
                _next = highestSequence + 1;
                WriteHeldItems();
            }
        }
    }

    /// <summary>Drops every queued item up to <paramref name="sequence"/> that the service refused as invalid.</summary>
    public void Discard(long sequence)
    {
        lock (_gate)
        {
            Dropped += RemoveThrough(sequence);
        }
    }

    private int RemoveThrough(long sequence)
    {
        int removed = 0;
        while (_queued.Count > 0 && _queued.Min <= sequence)
        {
            long oldest = _queued.Min;
            _queued.Remove(oldest);
            Forget(oldest);
            removed++;
        }

        return removed;
    }

    private string FileOf(long sequence) => Path.Combine(_directory, sequence.ToString("D20", CultureInfo.InvariantCulture) + Extension);
}

/// <summary>Log lines of <see cref="DurableQueue{TItem}"/>.</summary>
internal static partial class DurableQueueLog
{
    [LoggerMessage(EventId = 215, Level = LogLevel.Error,
        Message = "Cannot write the queue in {Directory} ({Reason}): new items are kept in memory (at most {Capacity}, the oldest dropped first) until it can be written again; they are lost if the agent stops before")]
    internal static partial void CannotWrite(ILogger logger, string directory, string reason, int capacity);

    [LoggerMessage(EventId = 216, Level = LogLevel.Information,
        Message = "The queue in {Directory} is written again ({Count} items held in memory are on disk now)")]
    internal static partial void WrittenAgain(ILogger logger, string directory, int count);
}
