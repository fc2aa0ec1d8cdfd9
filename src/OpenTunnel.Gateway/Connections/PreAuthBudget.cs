using OpenTunnel.Gateway.SignIn;

namespace OpenTunnel.Gateway.Connections;

/// <summary>
/// The slots of connections that have not signed in yet (nor presented a valid session cookie),
/// a budget of their own beside <c>Limits:MaxSessions</c>, counted per client
/// (<see cref="ClientAddressKey"/>). A connection enters at accept and leaves when it signs in,
/// presents a valid cookie, or ends. Rules, checked in this order:
/// <list type="number">
/// <item>a client already holding <c>maxPerAddress</c> slots gets none (<see cref="PreAuthAdmission.AddressFull"/>);</item>
/// <item>while the budget has room, the connection enters;</item>
/// <item>when it is full, the newcomer takes the slot of the oldest connection of the client that
/// holds the most slots, if that client holds more than the newcomer's client
/// (<see cref="PreAuthTicket.Evicted"/> fires for the one that loses it); otherwise the newcomer
/// is refused (<see cref="PreAuthAdmission.BudgetFull"/>).</item>
/// </list>
/// So clients that fill the budget can never keep out a client holding fewer slots than they do:
/// a sign-in or a reconnect from any other address always gets a slot, at the cost of the
/// heaviest holder's oldest (idlest) connection. A fixed reservation would only move the point at
/// which many addresses lock everyone out; this rule has none. Thread-safe; each operation costs
/// O(log clients).
/// </summary>
public sealed class PreAuthBudget
{
    private readonly Dictionary<ClientAddressKey, Holder> _holders = [];

    // Ordered by slots held, most first (ties: the holder that entered first), so the holder to
    // take a slot from is always the first.
    private readonly SortedSet<Holder> _byLoad = new(Holder.MostSlotsFirst);
    private readonly Lock _gate = new();
    private long _sequence;
    private int _count;

    /// <summary>Pre-authentication connections holding a slot now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Clients holding at least one slot now.</summary>
    public int Clients
    {
        get
        {
            lock (_gate)
            {
                return _holders.Count;
            }
        }
    }

    /// <summary>Slots <paramref name="client"/> holds now.</summary>
    public int SlotsOf(ClientAddressKey client)
    {
        lock (_gate)
        {
            return _holders.TryGetValue(client, out Holder? holder) ? holder.Tickets.Count : 0;
        }
    }

    /// <summary>
    /// Gives <paramref name="client"/> a slot under the limits in force, or says why not. The
    /// ticket leaves the budget when disposed; it is null unless the answer is <see cref="PreAuthAdmission.Admitted"/>.
    /// </summary>
    public PreAuthAdmission TryEnter(ClientAddressKey client, int maxTotal, int maxPerAddress, out PreAuthTicket? ticket)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTotal, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerAddress, 1);
        ticket = null;
        PreAuthTicket? evicted = null;
        lock (_gate)
        {
            _holders.TryGetValue(client, out Holder? holder);
            int held = holder?.Tickets.Count ?? 0;
            if (held >= maxPerAddress)
            {
                return PreAuthAdmission.AddressFull;
            }

            if (_count >= maxTotal)
            {
                Holder heaviest = _byLoad.Min!;
                if (heaviest.Tickets.Count <= held)
                {
                    return PreAuthAdmission.BudgetFull;
                }

                evicted = heaviest.Tickets.First!.Value;
                RemoveLocked(evicted);
            }

            if (holder is null)
            {
                holder = new Holder(client, ++_sequence);
                _holders.Add(client, holder);
            }
            else
            {
                _byLoad.Remove(holder);
            }

            ticket = new PreAuthTicket(this, holder);
            ticket.Node = holder.Tickets.AddLast(ticket);
            _byLoad.Add(holder);
            _count++;
        }

        // Outside the lock: cancelling runs the evicted connection's registrations.
        evicted?.Evict();
        return PreAuthAdmission.Admitted;
    }

    internal void Leave(PreAuthTicket ticket)
    {
        lock (_gate)
        {
            RemoveLocked(ticket);
        }
    }

    private void RemoveLocked(PreAuthTicket ticket)
    {
        if (ticket.Node is not { } node)
        {
            return;
        }

        Holder holder = ticket.Holder;
        _byLoad.Remove(holder);
        holder.Tickets.Remove(node);
        ticket.Node = null;
        _count--;
        if (holder.Tickets.Count == 0)
        {
            _holders.Remove(holder.Client);
        }
        else
        {
            _byLoad.Add(holder);
        }
    }

    internal sealed class Holder(ClientAddressKey client, long sequence)
    {
        public static readonly IComparer<Holder> MostSlotsFirst = Comparer<Holder>.Create((a, b) =>
        {
            int bySlots = b.Tickets.Count.CompareTo(a.Tickets.Count);
            return bySlots != 0 ? bySlots : a.Sequence.CompareTo(b.Sequence);
        });

        public ClientAddressKey Client { get; } = client;

        /// <summary>Orders holders with equal slots; unique per holder.</summary>
        public long Sequence { get; } = sequence;

        /// <summary>This client's connections, oldest first.</summary>
        public LinkedList<PreAuthTicket> Tickets { get; } = new();
    }
}

/// <summary>Whether a connection got a pre-authentication slot, and if not, why.</summary>
public enum PreAuthAdmission
{
    Admitted,

    /// <summary>Its client holds <c>Limits:MaxPreAuthPerAddress</c> slots already.</summary>
    AddressFull,

    /// <summary>The budget is full and no client holds more slots than its client.</summary>
    BudgetFull,
}

/// <summary>
/// One connection's pre-authentication slot. <see cref="Dispose"/> gives it back (when the
/// connection signs in, presents a valid cookie, or ends); idempotent. <see cref="Evicted"/> is
/// cancelled when the budget gave the slot to a newcomer from a client holding fewer.
/// </summary>
public sealed class PreAuthTicket : IDisposable
{
    private readonly PreAuthBudget _budget;
    private readonly CancellationTokenSource _evicted = new();

    internal PreAuthTicket(PreAuthBudget budget, PreAuthBudget.Holder holder)
    {
        _budget = budget;
        Holder = holder;
    }

    /// <summary>Cancelled when this connection lost its slot to a newcomer; the connection then closes.</summary>
    public CancellationToken Evicted => _evicted.Token;

    /// <summary>True while the ticket holds a slot.</summary>
    public bool Holding => Node is not null;

    internal PreAuthBudget.Holder Holder { get; }

    /// <summary>Its place in its holder's list while it holds a slot; guarded by the budget's lock.</summary>
    internal LinkedListNode<PreAuthTicket>? Node { get; set; }

    /// <remarks>The eviction source has no timer, so it holds nothing to release; it stays readable after this.</remarks>
    public void Dispose() => _budget.Leave(this);

    internal void Evict() => _evicted.Cancel();
}
