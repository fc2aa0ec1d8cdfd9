using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTunnel.Gateway.Control;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Control;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ControlServerCollection
{
    /// <summary>These tests set the process-wide umask: nothing else runs beside them.</summary>
    public const string Name = "control server (umask)";
}

/// <summary>
/// The control socket on a real Unix socket. Requests that fail before any command runs need no
/// gateway, so the commands object has none (no test here reaches it).
/// </summary>
[Trait("Category", "Unit")]
[Collection(ControlServerCollection.Name)]
public sealed class ControlServerTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _directory = Directory.CreateTempSubdirectory("ot-control-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string SocketPath => Path.Combine(_directory, "control.sock");

    private ControlServer NewServer() => new(SocketPath, new ControlCommands(null!, null!, null!, null!, null!, null!), NullLogger.Instance);

    [Fact]
    public async Task Start_OpenUmask_SocketNeverReachableWiderThan0600()
    {
        using FileCreationMask mask = FileCreationMask.Set(0);
        using var scanning = new CancellationTokenSource();
        var seen = new List<string>();
        Task scanner = Task.Run(() =>
        {
            while (!scanning.IsCancellationRequested)
            {
                foreach (string entry in Directory.EnumerateFileSystemEntries(_directory))
                {
                    try
                    {
                        UnixFileMode mode = File.GetUnixFileMode(entry);
                        if ((mode & ~OwnerReadWrite) != 0 && Path.GetFileName(entry) == "control.sock")
                        {
                            seen.Add($"{entry} {mode}");
                        }
                    }
                    catch (IOException)
                    {
                        // Renamed or deleted between listing and reading.
                    }
                }
            }
        });

        for (int i = 0; i < 200; i++)
        {
            ControlServer server = NewServer();
            server.Start();
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(SocketPath));
            await server.DisposeAsync();
        }

        await scanning.CancelAsync();
        await scanner;
        Assert.Empty(seen);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));
    }

    [Fact]
    public async Task Request_NotJson_AnsweredWithTheReason_AndTheSocketServesTheNextOne()
    {
        await using ControlServer server = NewServer();
        server.Start();

        for (int i = 0; i < 2; i++)
        {
            string answer = await AskAsync("this is not json\n");
            Assert.Contains("\"ok\":false", answer, StringComparison.Ordinal);
        }
    }

    private async Task<string> AskAsync(string line)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(line));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadLineAsync() ?? "";
    }
}
