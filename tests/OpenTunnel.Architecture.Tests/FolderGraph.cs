namespace OpenTunnel.Architecture.Tests;

/// <summary>
/// The folders of one project as a graph: an arrow from folder A to folder B for each file of A
/// that has a <c>using</c> line naming B's namespace. A folder is a namespace below the project's
/// (<c>Api/Resources/</c> is <c>Api.Resources</c>); files at the project's root are <c>(root)</c>.
/// </summary>
public sealed class FolderGraph
{
    public const string Root = "(root)";

    // from -> to -> the first file of 'from' (in path order) whose using line makes the arrow.
    private readonly SortedDictionary<string, SortedDictionary<string, string>> _arrows = new(StringComparer.Ordinal);

    public void Add(string from, string to, string file)
    {
        if (from == to)
        {
            return;
        }

        if (!_arrows.TryGetValue(from, out var targets))
        {
            _arrows[from] = targets = new SortedDictionary<string, string>(StringComparer.Ordinal);
        }

        if (!targets.TryGetValue(to, out string? first) || string.CompareOrdinal(file, first) < 0)
        {
            targets[to] = file;
        }
    }

    /// <summary>
    /// One cycle per knot (strongly connected set of two or more folders), each as the arrows that
    /// close it, in a stable order; empty when the folders form a chain of layers.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<(string From, string To, string File)>> Cycles()
    {
        var cycles = new List<IReadOnlyList<(string, string, string)>>();
        foreach (var knot in Knots())
        {
            cycles.Add(CycleWithin(knot));
        }

        return cycles;
    }

    private IEnumerable<string> Targets(string from) =>
        _arrows.TryGetValue(from, out var targets) ? targets.Keys : [];

    // Tarjan's strongly connected components, kept only when they hold two or more folders.
    private List<SortedSet<string>> Knots()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var knots = new List<SortedSet<string>>();
        var nodes = new SortedSet<string>(_arrows.Keys, StringComparer.Ordinal);
        foreach (var targets in _arrows.Values)
        {
            nodes.UnionWith(targets.Keys);
        }

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (string next in Targets(node))
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], index[next]);
                }
            }

            if (low[node] == index[node])
            {
                var knot = new SortedSet<string>(StringComparer.Ordinal);
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    knot.Add(member);
                }
                while (member != node);

                if (knot.Count > 1)
                {
                    knots.Add(knot);
                }
            }
        }

        foreach (string node in nodes)
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        knots.Sort((a, b) => string.CompareOrdinal(a.Min, b.Min));
        return knots;
    }

    // The shortest way back to the knot's first folder, found breadth-first inside the knot.
    private List<(string, string, string)> CycleWithin(SortedSet<string> knot)
    {
        string start = knot.Min!;
        var cameFrom = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            string node = queue.Dequeue();
            foreach (string next in Targets(node))
            {
                if (!knot.Contains(next))
                {
                    continue;
                }

                if (next == start)
                {
                    var path = new List<(string, string, string)> { (node, start, _arrows[node][start]) };
                    for (string at = node; at != start; at = cameFrom[at])
                    {
                        path.Add((cameFrom[at], at, _arrows[cameFrom[at]][at]));
                    }

                    path.Reverse();
                    return path;
                }

                if (next != start && cameFrom.TryAdd(next, node))
                {
                    queue.Enqueue(next);
                }
            }
        }

        throw new InvalidOperationException("A knot of folders without a cycle through " + start + ".");
    }
}
