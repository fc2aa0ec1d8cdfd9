using System.Net;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// One ended session, as the access log keeps it. <see cref="RecordId"/> is made once, when the
/// session ends, and names the record wherever it travels (agent queue, management database), so
/// a record delivered twice is stored once.
/// </summary>
public sealed record EndedSession(
    long Sequence,
    Guid RecordId,
    long SessionId,
    string UserName,
    string? Subject,
    string? DeviceId,
    IPEndPoint Client,
    uint IPv4Address,
    Ipv6Number IPv6Address,
    DateTimeOffset SignedInAt,
    DateTimeOffset EndedAt,
    string Reason,
    long BytesFromClient,
    long BytesToClient);

/// <summary>
/// The sessions that ended, in memory, until the management agent has taken them: it reads them
/// with the journal's <see cref="Id"/> and the highest sequence number it holds, which removes
/// what it took before. The journal is bounded: past <see cref="Capacity"/> the oldest record goes
/// and <see cref="Dropped"/> counts it. The id is new with each start of the gateway, so an
/// acknowledgement meant for the journal before a restart removes nothing from this one.
/// </summary>
public sealed class EndedSessionJournal
{
    /// <summary>Records kept for the agent; about 300 bytes each, so 3 MB at most.</summary>
    public const int DefaultCapacity = 10_000;

    private readonly Queue<EndedSession> _records = new();
    private readonly Lock _gate = new();
    private long _nextSequence = 1;
    private long _dropped;

    public EndedSessionJournal(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public Guid Id { get; } = Guid.NewGuid();

    public int Capacity { get; }

    /// <summary>Records dropped because the journal was full, since the gateway started.</summary>
    public long Dropped
    {
        get
        {
            lock (_gate)
            {
                return _dropped;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _records.Count;
            }
        }
    }

    /// <summary>Records that <paramref name="session"/> ended at <paramref name="endedAt"/> for <paramref name="reason"/>.</summary>
    public EndedSession Add(GatewaySession session, string reason, DateTimeOffset endedAt)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_gate)
        {
            var record = new EndedSession(_nextSequence++, Guid.NewGuid(), session.Id, session.UserName, session.Subject, session.DeviceId, session.ClientEndPoint,
                session.IPv4Address, session.IPv6Address, session.SignedInAt, endedAt, reason, session.BytesFromClient, session.BytesToClient);
            _records.Enqueue(record);
            while (_records.Count > Capacity)
            {
                _records.Dequeue();
                _dropped++;
            }

            return record;
        }
    }

    /// <summary>
    /// Forgets the records up to <paramref name="acknowledged"/> when <paramref name="journal"/> is
    /// this journal's id (a reader that names another journal, or none, removes nothing), then
    /// returns up to <paramref name="maximum"/> of the records left, oldest first.
    /// </summary>
    public IReadOnlyList<EndedSession> Read(Guid? journal, long acknowledged, int maximum)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maximum, 1);
        lock (_gate)
        {
            if (journal == Id)
            {
                while (_records.TryPeek(out EndedSession? oldest) && oldest.Sequence <= acknowledged)
                {
                    _records.Dequeue();
                }
            }

            var list = new List<EndedSession>(Math.Min(maximum, _records.Count));
            foreach (EndedSession record in _records)
            {
                if (list.Count == maximum)
                {
                    break;
                }

                list.Add(record);
            }

            return list;
        }
    }
}
