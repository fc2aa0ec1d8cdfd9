using System.Runtime.InteropServices;

namespace OpenTunnel.Testing;

/// <summary>
/// The process's file creation mask (umask(2)) set for the length of a test and put back on
/// dispose. The mask is process-wide: tests that set it belong to a collection that does not run in
/// parallel with others (a collection with <c>DisableParallelization</c> in their own assembly).
/// </summary>
public sealed partial class FileCreationMask : IDisposable
{
    private readonly uint _previous;

    private FileCreationMask(uint mask) => _previous = Umask(mask);

    /// <summary>Sets the mask to <paramref name="mask"/> (for example 0 or an octal 0277) until disposed.</summary>
    public static FileCreationMask Set(uint mask) => new(mask);

    public void Dispose() => Umask(_previous);

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);
}
