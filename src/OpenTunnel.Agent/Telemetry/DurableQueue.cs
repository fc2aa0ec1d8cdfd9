using System.Globalization;
using System.Text.Json;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Agent.Telemetry;

/// <summary>
/// Telemetry waiting for delivery, on disk so that an outage of the management service (or a
/// restart of the agent) loses nothing: one file per sample, named by its sequence number and
/// written whole (temporary file, then rename). Sequence numbers are handed out from a counter
/// file that is saved before the sample, so a number is never used twice even after a crash.
/// The queue is bounded: past its capacity the oldest samples are dropped and counted.
/// </summary>
public sealed class TelemetryQueue
{
    private const string Extension = ".json";
    private const string CounterFileName = "next-sequence";

    private readonly string _directory;
    private readonly int _capacity;
    private readonly SortedSet<long> _queued = [];
    private readonly Lock _gate = new();
    private long _next;

    public TelemetryQueue(string directory, int capacity)
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

    /// <summary>Samples dropped because the queue was full, since the agent started.</summary>
    public long Dropped { get; private set; }

    /// <summary>The sequence number the next sample gets.</summary>
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

    /// <summary>Stores the sample <paramref name="create"/> makes for the next sequence number.</summary>
    public TelemetrySample Enqueue(Func<long, TelemetrySample> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        lock (_gate)
        {
            long sequence = _next;
            AgentIdentityStore.WriteAtomically(Path.Combine(_directory, CounterFileName), (sequence + 1).ToString(CultureInfo.InvariantCulture));
            _next = sequence + 1;
            TelemetrySample sample = create(sequence);
            AgentIdentityStore.WriteAtomically(FileOf(sequence), JsonSerializer.Serialize(sample, AgentJson.Options));
            _queued.Add(sequence);
            while (_queued.Count > _capacity)
            {
                long oldest = _queued.Min;
                _queued.Remove(oldest);
                File.Delete(FileOf(oldest));
                Dropped++;
            }

            return sample;
        }
    }

    /// <summary>Up to <paramref name="maximum"/> samples, oldest first. An unreadable file is dropped.</summary>
    public List<TelemetrySample> Peek(int maximum)
    {
        lock (_gate)
        {
            var samples = new List<TelemetrySample>(Math.Min(maximum, _queued.Count));
            var broken = new List<long>();
            foreach (long sequence in _queued)
            {
                if (samples.Count == maximum)
                {
                    break;
                }

                try
                {
                    samples.Add(JsonSerializer.Deserialize<TelemetrySample>(File.ReadAllText(FileOf(sequence)), AgentJson.Options)!);
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

            return samples;
        }
    }

    /// <summary>
    /// Forgets every sample up to <paramref name="highestSequence"/>, which the service holds. When
    /// the service holds higher numbers than this agent has given out (its data directory was
    /// restored from a backup), the counter moves past them so new samples are not taken for repeats.
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

    /// <summary>Drops every queued sample up to <paramref name="sequence"/> that the service refused as invalid.</summary>
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
