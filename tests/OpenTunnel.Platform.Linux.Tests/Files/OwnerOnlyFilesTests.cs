using System.Text;
using OpenTunnel.Platform.Linux.Files;
using OpenTunnel.Testing;

namespace OpenTunnel.Platform.Linux.Tests.Files;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FileCreationMaskCollection
{
    public const string Name = "File creation mask";
}

[Trait("Category", "Unit")]
[Collection(FileCreationMaskCollection.Name)]
public sealed class OwnerOnlyFilesTests : IDisposable
{
    private const UnixFileMode Wide = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly string _directory = Directory.CreateTempSubdirectory("ot-owner-only-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(0u)] // 000: nothing taken away, a plain create would give 0666
    [InlineData(18u)] // 022
    [InlineData(63u)] // 077
    [InlineData(191u)] // 0277: takes the owner's write bit too
    public void WriteAtomically_AnyUmask_FileIsExactly0600WithTheContent(uint mask)
    {
        string path = Path.Combine(_directory, "key.pem");
        using (FileCreationMask.Set(mask))
        {
            OwnerOnlyFiles.WriteAtomically(path, "secret\n");
        }

        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(path));
        Assert.Equal("secret\n", File.ReadAllText(path));
    }

    [Fact]
    public void WriteAtomically_ExistingWideFile_ReplacedByA0600One()
    {
        string path = Path.Combine(_directory, "key.pem");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, Wide);

        OwnerOnlyFiles.WriteAtomically(path, "new");

        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(path));
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["key.pem"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void WriteAtomically_WideFileLeftByACrashOpenByAnotherReader_ReaderNeverSeesTheSecret()
    {
        // Another user opened a world-readable temporary file a crash left behind (the name the
        // writer used to reuse); writing into that file and tightening its mode afterwards would hand
        // the secret to the reader, who keeps its open descriptor whatever the mode becomes.
        string path = Path.Combine(_directory, "key.pem");
        string leftover = path + ".tmp";
        File.WriteAllText(leftover, string.Empty);
        File.SetUnixFileMode(leftover, Wide);
        using var reader = new FileStream(leftover, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        OwnerOnlyFiles.WriteAtomically(path, "secret");

        Assert.Equal(0, reader.Read(new byte[64]));
        Assert.Equal("secret", File.ReadAllText(path));
    }

    [Fact]
    public async Task WriteAtomically_WhileWriting_NoFileInTheDirectoryIsEverWiderThan0600()
    {
        using var stop = new CancellationTokenSource();
        var seen = new List<string>();
        var watcher = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (string file in Directory.EnumerateFiles(_directory))
                {
                    try
                    {
                        UnixFileMode mode = File.GetUnixFileMode(file);
                        if ((mode & ~OwnerOnlyFiles.FileMode) != 0)
                        {
                            seen.Add($"{Path.GetFileName(file)} {mode}");
                        }
                    }
                    catch (FileNotFoundException)
                    {
                        // Renamed away between the listing and the look.
                    }
                }
            }
        });

        using (FileCreationMask.Set(0))
        {
            for (int i = 0; i < 300; i++)
            {
                OwnerOnlyFiles.WriteAtomically(Path.Combine(_directory, "key.pem"), "secret " + i);
            }
        }

        stop.Cancel();
        await watcher;
        Assert.Empty(seen);
    }

    [Fact]
    public void WriteNew_NoFile_Creates0600WithTheContent()
    {
        string path = Path.Combine(_directory, "ca.key");
        using (FileCreationMask.Set(0))
        {
            OwnerOnlyFiles.WriteNew(path, "key");
        }

        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(path));
        Assert.Equal("key", File.ReadAllText(path, Encoding.UTF8));
    }

    [Fact]
    public void WriteNew_FileExists_ThrowsAndLeavesItAndNoTemporary()
    {
        string path = Path.Combine(_directory, "ca.key");
        OwnerOnlyFiles.WriteNew(path, "first");

        Assert.Throws<IOException>(() => OwnerOnlyFiles.WriteNew(path, "second"));

        Assert.Equal("first", File.ReadAllText(path));
        Assert.Equal(["ca.key"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void CreateDirectory_ExistingWideDirectory_TightenedTo0700()
    {
        string directory = Path.Combine(_directory, "keys");
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, OwnerOnlyFiles.DirectoryMode | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        OwnerOnlyFiles.CreateDirectory(directory);

        Assert.Equal(OwnerOnlyFiles.DirectoryMode, File.GetUnixFileMode(directory));
    }
}
