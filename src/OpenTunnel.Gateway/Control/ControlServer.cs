using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Platform.Linux.Net;

namespace OpenTunnel.Gateway.Control;

/// <summary>
/// The local control API: a Unix socket (mode 0600, so only root or the gateway's user can use
/// it) where each connection sends one JSON request line and reads one JSON answer line, as
/// <c>{"ok":true,"result":...}</c> or <c>{"ok":false,"error":"..."}</c>. The CLI verbs and the
/// management agent use it.
/// </summary>
internal sealed class ControlServer : IAsyncDisposable
{
    /// <summary>The largest request line taken (an applied configuration document with 500 routes fits easily).</summary>
    public const int MaxRequestBytes = 1024 * 1024;

    private readonly string _path;
    private readonly ControlCommands _commands;
    private readonly ILogger _logger;
    /// <summary>Requests served at once; more wait in the socket's backlog.</summary>
    private const int MaxConnections = 16;

    private readonly CancellationTokenSource _stopping = new();
    private Socket? _socket;
    private Task _accepting = Task.CompletedTask;

    public ControlServer(string path, ControlCommands commands, ILogger logger)
    {
        _path = path;
        _commands = commands;
        _logger = logger;
    }

    public void Start()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        if (File.Exists(_path))
        {
            // A socket file left by a gateway that did not stop cleanly.
            File.Delete(_path);
        }

        // Bound under a name of its own, made 0600 and only then renamed into place, so that the
        // socket is never reachable at its path with the mode the umask gave it.
        string bound = Path.Combine(Path.GetDirectoryName(_path)!, $".{Path.GetFileName(_path)}.{Guid.NewGuid():N}");
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _socket.Bind(new UnixDomainSocketEndPoint(bound));
            File.SetUnixFileMode(bound, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(bound, _path, overwrite: true);
        }
        catch
        {
            File.Delete(bound);
            _socket.Dispose();
            throw;
        }

        _socket.Listen(MaxConnections);
        _accepting = new AcceptLoop(_socket, ServeAsync, () => MaxConnections, _logger).RunAsync(_stopping.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _socket?.Dispose();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Gone already.
        }

        _stopping.Dispose();
    }

    private async Task ServeAsync(Socket client, CancellationToken stopping)
    {
        using (client)
        await using (var stream = new NetworkStream(client, ownsSocket: false))
        {
            JsonObject answer;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                timeout.CancelAfter(TimeSpan.FromSeconds(60));
                string line = await ReadLineAsync(stream, timeout.Token);
                var request = JsonNode.Parse(line) as JsonObject ?? throw new ControlRequestException("the request is not a JSON object");
                answer = new JsonObject { ["ok"] = true, ["result"] = await _commands.ExecuteAsync(request) };
            }
            catch (Exception e) when (e is ControlRequestException or JsonException or Configuration.GatewayConfigurationException)
            {
                GatewayLog.ControlFailed(_logger, e.Message);
                answer = new JsonObject { ["ok"] = false, ["error"] = e.Message };
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                return;
            }

            try
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(answer.ToJsonString() + "\n"), stopping);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                // The CLI went away.
            }
        }
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bytes = new MemoryStream();
        byte[] buffer = new byte[8192];
        while (true)
        {
            int n = await stream.ReadAsync(buffer, cancellationToken);
            if (n == 0)
            {
                break;
            }

            int newline = Array.IndexOf(buffer, (byte)'\n', 0, n);
            bytes.Write(buffer, 0, newline < 0 ? n : newline);
            if (newline >= 0)
            {
                break;
            }

            if (bytes.Length > MaxRequestBytes)
            {
                throw new ControlRequestException($"the request is longer than {MaxRequestBytes} bytes");
            }
        }

        return Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
    }
}

/// <summary>A control request that cannot be carried out; the message goes back to the caller.</summary>
internal sealed class ControlRequestException : Exception
{
    public ControlRequestException(string message)
        : base(message)
    {
    }

    public ControlRequestException()
    {
    }

    public ControlRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
