using System.Text;

namespace OpenTunnel.Platform.Linux.Files;

/// <summary>
/// The one way to write a file that holds a secret (a key, a token, a credential): a directory of
/// mode 0700 and files of mode 0600, each written whole to a temporary file beside it and then
/// renamed into place, so a crash never leaves half a file. The temporary file is created new with
/// mode 0600 and set to exactly 0600 before the first byte is written, so no other user can read the
/// content at any moment, whatever the umask and whatever a crash left behind.
/// </summary>
public static class OwnerOnlyFiles
{
    /// <summary>0600: read and write for the owner only.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>0700: the owner only.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Creates <paramref name="directory"/> (and its parents) with mode 0700, and tightens an existing one to 0700.</summary>
    public static void CreateDirectory(string directory)
    {
        Directory.CreateDirectory(directory, DirectoryMode);
        File.SetUnixFileMode(directory, DirectoryMode);
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8) as the whole content of <paramref name="path"/>, mode 0600, replacing any file there.</summary>
    public static void WriteAtomically(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, Utf8.GetBytes(text), overwrite: true);
    }

    /// <summary>Writes <paramref name="content"/> as the whole content of <paramref name="path"/>, mode 0600, replacing any file there.</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content) => Write(path, content, overwrite: true);

    /// <summary>
    /// Writes <paramref name="text"/> (UTF-8) as the whole content of a new file <paramref name="path"/>,
    /// mode 0600; throws <see cref="IOException"/> when the file already exists (another process made it
    /// first), leaving that file as it is.
    /// </summary>
    public static void WriteNew(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, Utf8.GetBytes(text), overwrite: false);
    }

    private static void Write(string path, ReadOnlySpan<byte> content, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(path);
        string temporary = TemporaryPathFor(path);
        try
        {
            using (FileStream stream = CreateOwnerOnly(temporary))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            // Not overwriting, the rename fails when the path exists (a link, not a check then a rename).
            File.Move(temporary, path, overwrite);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// A file that did not exist before (so no content and no mode of an earlier one), created with
    /// 0600 and set to exactly 0600 while still empty: the umask can only take bits away at creation,
    /// and the explicit mode gives the owner write access back if the umask took that too.
    /// </summary>
    private static FileStream CreateOwnerOnly(string path)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = FileMode };
        var stream = new FileStream(path, options);
        try
        {
            File.SetUnixFileMode(stream.SafeFileHandle, FileMode);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>A unique name beside <paramref name="path"/> (same directory, so the rename is atomic), hidden and never reused.</summary>
    private static string TemporaryPathFor(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return Path.Combine(directory, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
    }
}
