using System.Runtime.InteropServices;
using OpenTunnel.Fuzz;
using SharpFuzz;

// Usage: OpenTunnel.Fuzz TARGET            under the libFuzzer driver (fuzz/driver), one input per run
//        OpenTunnel.Fuzz TARGET PATH...    replays files or folders once (a crash reproduces here)
if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: OpenTunnel.Fuzz TARGET [FILE-OR-FOLDER...]; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
    return 2;
}

if (args.Length == 1)
{
    Fuzzer.LibFuzzer.Run(input => target(input));
    return 0;
}

// Instrumented assemblies write their edges to the SharpFuzz map, which only the libFuzzer runner
// sets up: a replay gives them one of their own (65,536 bytes, the size of the map) and counts
// the entries hit, the edge coverage of the inputs replayed (0 for an uninstrumented build).
const int MapSize = 1 << 16;
IntPtr map;
unsafe
{
    map = (IntPtr)NativeMemory.AllocZeroed(MapSize);
    SharpFuzz.Common.Trace.SharedMem = (byte*)map;
}

foreach (string path in args[1..])
{
    string[] files = Directory.Exists(path) ? [.. Directory.GetFiles(path).Order(StringComparer.Ordinal)] : [path];
    foreach (string file in files)
    {
        Console.WriteLine(file);
        target(File.ReadAllBytes(file));
    }
}

int edges = 0;
for (int i = 0; i < MapSize; i++)
{
    edges += Marshal.ReadByte(map, i) != 0 ? 1 : 0;
}

Console.WriteLine($"edges: {edges} of {MapSize} map entries");
return 0;
