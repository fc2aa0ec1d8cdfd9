using System.Globalization;
using System.Text.Json;
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
/// </summary>
/// <typeparam name="TItem">The item, serialised as the agent link's JSON.</typeparam>
public sealed class DurableQueue<TItem>
{
    private const string Extension = ".json";
    private const string CounterFileName = "next-sequence";

    private readonly string _directory;
    private readonly int _capacity;
    private readonly SortedSet<long> _queued = [];
    private readonly Lock _gate = new();
    private long _next;

    public DurableQueue(string directory, int capacity)
    {
        _directory = directory;
        _capacity = capacity;
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

    /// <summary>Stores the item <paramref name="create"/> makes for the next sequence number.</summary>
    public TItem Enqueue(Func<long, TItem> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        lock (_gate)
        {
            long sequence = _next;
            AgentIdentityStore.WriteAtomically(Path.Combine(_directory, CounterFileName), (sequence + 1).ToString(CultureInfo.InvariantCulture));
            _next = sequence + 1;
            TItem item = create(sequence);
            AgentIdentityStore.WriteAtomically(FileOf(sequence), JsonSerializer.Serialize(item, AgentJson.Options));
            _queued.Add(sequence);
            while (_queued.Count > _capacity)
            {
                long oldest = _queued.Min;
                _queued.Remove(oldest);
                File.Delete(FileOf(oldest));
                Dropped++;
            }

            return item;
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
                AgentIdentityStore.WriteAtomically(Path.Combine(_directory, CounterFileName), _next.ToString(CultureInfo.InvariantCulture));
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
            File.Delete(FileOf(oldest));
            removed++;
        }

        return removed;
    }

    private string FileOf(long sequence) => Path.Combine(_directory, sequence.ToString("D20", CultureInfo.InvariantCulture) + Extension);
}
