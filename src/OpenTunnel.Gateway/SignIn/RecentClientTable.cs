namespace OpenTunnel.Gateway.SignIn;

/// <summary>
/// Per-client entries (<see cref="ClientAddressKey"/>) of which at most <see cref="Capacity"/>
/// are kept: past that, the entry touched least recently is forgotten, in constant time, so a
/// flood of addresses costs neither unbounded memory nor a scan under the caller's lock. The
/// forgotten entry's object is handed to the newcomer (no allocation once full); the caller
/// then sets all its fields. Not thread-safe: the per-address limits that use it lock around it.
/// </summary>
internal sealed class RecentClientTable<TEntry>
    where TEntry : class
{
    private readonly Dictionary<ClientAddressKey, LinkedListNode<(ClientAddressKey Key, TEntry Entry)>> _entries;

    // Least recently touched first: the node to forget is always the first one.
    private readonly LinkedList<(ClientAddressKey Key, TEntry Entry)> _recent = new();
    private readonly Func<TEntry> _create;

    public RecentClientTable(int capacity, Func<TEntry> create)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentNullException.ThrowIfNull(create);
        Capacity = capacity;
        _create = create;
        _entries = new Dictionary<ClientAddressKey, LinkedListNode<(ClientAddressKey, TEntry)>>(Math.Min(capacity, 1024));
    }

    /// <summary>Most clients the table holds.</summary>
    public int Capacity { get; }

    public int Count => _entries.Count;

    /// <summary>Entries, least recently touched first.</summary>
    public IEnumerable<(ClientAddressKey Key, TEntry Entry)> Entries => _recent;

    /// <summary>The entry of <paramref name="key"/>, left where it is in the order; false when the table holds none.</summary>
    public bool TryPeek(ClientAddressKey key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TEntry? entry)
    {
        entry = _entries.TryGetValue(key, out var node) ? node.Value.Entry : null;
        return entry is not null;
    }

    /// <summary>The entry of <paramref name="key"/>, made the most recent; false when the table holds none.</summary>
    public bool TryTouch(ClientAddressKey key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TEntry? entry)
    {
        if (!_entries.TryGetValue(key, out var node))
        {
            entry = null;
            return false;
        }

        _recent.Remove(node);
        _recent.AddLast(node);
        entry = node.Value.Entry;
        return true;
    }

    /// <summary>
    /// The entry of <paramref name="key"/>, made the most recent. <paramref name="added"/> says it
    /// is new to this key (a fresh object, or the forgotten one's), so the caller sets every field.
    /// </summary>
    public TEntry TouchOrAdd(ClientAddressKey key, out bool added)
    {
        if (TryTouch(key, out TEntry? existing))
        {
            added = false;
            return existing;
        }

        LinkedListNode<(ClientAddressKey Key, TEntry Entry)> node;
        if (_entries.Count >= Capacity)
        {
            node = _recent.First!;
            _recent.RemoveFirst();
            _entries.Remove(node.Value.Key);
            node.Value = (key, node.Value.Entry);
        }
        else
        {
            node = new LinkedListNode<(ClientAddressKey, TEntry)>((key, _create()));
        }

        _recent.AddLast(node);
        _entries.Add(key, node);
        added = true;
        return node.Value.Entry;
    }

    /// <summary>Forgets <paramref name="key"/>; false when the table held nothing for it.</summary>
    public bool Remove(ClientAddressKey key)
    {
        if (!_entries.Remove(key, out var node))
        {
            return false;
        }

        _recent.Remove(node);
        return true;
    }
}
