namespace OpenTunnel.Platform.Linux.Files;

/// <summary>
/// Files that hold secrets (keys, tokens, credentials): a directory of mode 0700 and files of mode
/// 0600, each written whole (a temporary file renamed over the old one), so a crash never leaves
/// half a file and no other user can read one at any moment.
/// </summary>
public static class OwnerOnlyFiles
{
    /// <summary>0600: read and write for the owner only.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>0700: the owner only.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="directory"/> (and its parents) with mode 0700, and tightens an existing one to 0700.</summary>
    public static void CreateDirectory(string directory)
    {
        Directory.CreateDirectory(directory, DirectoryMode);
        File.SetUnixFileMode(directory, DirectoryMode);
    }

    /// <summary>Writes <paramref name="text"/> to a temporary file of mode 0600 beside <paramref name="path"/> and renames it over it.</summary>
    public static void WriteAtomically(string path, string text)
    {
        string temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = System.IO.FileMode.Create, Access = FileAccess.Write, UnixCreateMode = FileMode };
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false)))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        // A temporary file left by a crash keeps its old mode on FileMode.Create: tighten it.
        File.SetUnixFileMode(temporary, FileMode);
        File.Move(temporary, path, overwrite: true);
    }
}
