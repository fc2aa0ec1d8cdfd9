using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// Issue #12, item 3: idle unauthenticated TLS connections must not lock anyone out. From the
/// client namespace, 1,500 connections from one address and 300 from 30 others (raw TCP + TLS;
/// the first send a keep-alive request every few seconds, the others half a request and then
/// nothing) while a sign-in from a
/// fresh address and the reconnect of an existing session must each succeed within 2 s; the
/// gateway's memory stays bounded. Before the fix about 1,100 such connections stopped the
/// gateway from accepting at all.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class PreAuthFloodTests
{
    private const string HeavyAddress = "198.18.1.100";
    private const int HeavyConnections = 1500;
    private const int OtherAddresses = 30;
    private const int ConnectionsPerOtherAddress = 10;
    private const string SessionAddress = "198.18.1.3";
    private static readonly TimeSpan Allowed = TimeSpan.FromSeconds(2);

    /// <summary>Well inside the gateway's 30 s wait for the next request, as the attack of the issue (every 25 s) but faster.</summary>
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(5);

    private readonly ITestOutputHelper _output;

    public PreAuthFloodTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task IdleFlood_FromManyConnections_FreshSignInAndReconnectStillSucceedWithin2s_AndMemoryStaysBounded()
    {
        using var gateway = await GatewayInstance.StartAsync(config =>
        {
            var limits = config["Limits"]!.AsObject();
            limits["MaxPreAuthConnections"] = 256;
            limits["MaxPreAuthPerAddress"] = 16;
        });
        string device = gateway.Topology.Prefix + "c0";
        foreach (string address in FloodAddresses().Append(SessionAddress))
        {
            gateway.Topology.Exec(gateway.Topology.Client, "ip", "addr", "add", address + "/24", "dev", device).EnsureSuccess();
        }

        var target = new IPEndPoint(IPAddress.Parse(NetworkTopology.GatewayPublicAddress), GatewayInstance.Port);

        // An existing session: signed in and tunnelled from its own address, then its link drops.
        string cookie;
        await using (var first = await RawClient.ConnectAsync(gateway.Topology.Client, SessionAddress, target))
        {
            var signIn = await first.RequestAsync(SignInRequest(gateway.MintToken("sam")));
            Assert.Equal(200, signIn.Status);
            cookie = signIn.Cookie!;
            Assert.Equal(200, (await first.RequestAsync(ConnectRequest(cookie))).Status);
        }

        var (rssBefore, pssBefore) = Memory(gateway.Process.Id);
        await using var flood = await Flood.StartAsync(gateway.Topology.Client, target);
        var status = (JsonObject)(await gateway.ControlAsync("status"))!;
        _output.WriteLine($"flood: {flood.Held} connections held open by the gateway, {flood.Refused} refused; gateway: {status["preAuthConnections"]} pre-auth connections from {status["preAuthClients"]} clients");
        Assert.InRange(status["preAuthConnections"]!.GetValue<int>(), 200, 256);

        // A sign-in from a fresh address, over real TLS, within 2 s.
        var watch = Stopwatch.StartNew();
        await using (var fresh = await RawClient.ConnectAsync(gateway.Topology.Client, NetworkTopology.ClientAddress, target))
        {
            var answer = await fresh.RequestAsync(SignInRequest(gateway.MintToken("fiona")));
            Assert.Equal(200, answer.Status);
        }

        var signInTime = watch.Elapsed;

        // The reconnect of the existing session with its cookie, within 2 s.
        watch.Restart();
        await using (var again = await RawClient.ConnectAsync(gateway.Topology.Client, SessionAddress, target))
        {
            Assert.Equal(200, (await again.RequestAsync(ConnectRequest(cookie))).Status);
        }

        var reconnectTime = watch.Elapsed;

        // And openconnect itself signs in from the fresh address.
        watch.Restart();
        var openconnect = OpenConnectClient.Authenticate(gateway, gateway.TokenFile(gateway.MintToken("olive")));
        var openconnectTime = watch.Elapsed;

        var (rss, pss) = Memory(gateway.Process.Id);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sign-in {signInTime.TotalMilliseconds:F0} ms, reconnect {reconnectTime.TotalMilliseconds:F0} ms, openconnect --authenticate {openconnectTime.TotalMilliseconds:F0} ms; gateway RSS {rss / 1024} MB, PSS {pss / 1024} MB (before the flood: RSS {rssBefore / 1024} MB, PSS {pssBefore / 1024} MB)"));
        Assert.True(signInTime < Allowed, $"the sign-in took {signInTime}");
        Assert.True(reconnectTime < Allowed, $"the reconnect took {reconnectTime}");
        openconnect.EnsureSuccess();
        Assert.Contains("COOKIE=", openconnect.StandardOutput, StringComparison.Ordinal);
        Assert.True(rss < 400 * 1024, $"the gateway's RSS is {rss} kB");
        await gateway.Process.WaitForOutputAsync("Refused a connection from 198.18.1.100 at accept (address_limit)", TimeSpan.FromSeconds(10));
        Assert.True(flood.Refused >= HeavyConnections - 16, $"{flood.Refused} refused");
    }

    private static IEnumerable<string> FloodAddresses() =>
        Enumerable.Range(0, OtherAddresses + 1).Select(i => string.Create(CultureInfo.InvariantCulture, $"198.18.1.{100 + i}"));

    private static string SignInRequest(string token) =>
        $"POST / HTTP/1.1\r\nHost: gateway\r\nUser-Agent: Open AnyConnect VPN Agent v9.01\r\nX-Aggregate-Auth: 1\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\n\r\n";

    private static string ConnectRequest(string cookie) =>
        $"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: gateway\r\nUser-Agent: Open AnyConnect VPN Agent v9.01\r\nCookie: webvpn={cookie}\r\nX-CSTP-Version: 1\r\nX-CSTP-Address-Type: IPv4\r\nX-CSTP-Base-MTU: 1500\r\n\r\n";

    /// <summary>Rss and Pss of a process in kB (/proc/PID/smaps_rollup).</summary>
    private static (long Rss, long Pss) Memory(int pid)
    {
        long rss = 0;
        long pss = 0;
        foreach (string line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts[0] == "Rss:")
            {
                rss = long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            else if (parts[0] == "Pss:")
            {
                pss = long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
        }

        return (rss, pss);
    }

    /// <summary>
    /// The load generator: TCP sockets made inside the client namespace and bound to the flood's
    /// source addresses, then connected and given a TLS handshake from this process, many at a
    /// time. The heavy address's connections send a keep-alive request every
    /// <see cref="KeepAliveInterval"/>; the others half a request and nothing more. Those the
    /// gateway keeps stay open until disposed.
    /// </summary>
    private sealed class Flood : IAsyncDisposable
    {
        private readonly List<RawClient> _held = [];
        private readonly List<Task> _keepAlives = [];
        private readonly CancellationTokenSource _stop = new();

        public int Held => _held.Count;

        public int Refused { get; private set; }

        public static async Task<Flood> StartAsync(string ns, IPEndPoint target)
        {
            var sources = new List<(string Address, bool Heavy)>();
            sources.AddRange(Enumerable.Repeat((HeavyAddress, true), HeavyConnections));
            for (int round = 0; round < ConnectionsPerOtherAddress; round++)
            {
                sources.AddRange(FloodAddresses().Skip(1).Select(address => (address, false)));
            }

            var flood = new Flood();
            using var parallel = new SemaphoreSlim(64);
            var attempts = sources.Select(async source =>
            {
                await parallel.WaitAsync();
                try
                {
                    var client = await RawClient.TryConnectAsync(ns, source.Address, target);
                    if (client is not null && await client.TryIdleAsync(partial: !source.Heavy))
                    {
                        lock (flood._held)
                        {
                            flood._held.Add(client);
                            if (source.Heavy)
                            {
                                flood._keepAlives.Add(client.KeepAliveAsync(KeepAliveInterval, flood._stop.Token));
                            }
                        }

                        return;
                    }

                    if (client is not null)
                    {
                        await client.DisposeAsync();
                    }

                    lock (flood._held)
                    {
                        flood.Refused++;
                    }
                }
                finally
                {
                    parallel.Release();
                }
            }).ToList();
            await Task.WhenAll(attempts);
            return flood;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_keepAlives);
            _stop.Dispose();
            foreach (var client in _held)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>A TLS client on a socket made in the client namespace with a chosen source address; HTTP written and read by hand.</summary>
    private sealed class RawClient : IAsyncDisposable
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
        private readonly SslStream _ssl;

        private RawClient(SslStream ssl)
        {
            _ssl = ssl;
        }

        public static async Task<RawClient> ConnectAsync(string ns, string source, IPEndPoint target) =>
            await TryConnectAsync(ns, source, target) ?? throw new IOException($"the gateway refused, closed or did not answer the connection from {source} within {Patience.TotalSeconds} s");

        /// <summary>Connects and runs the TLS handshake; null when the gateway refused, closed or never answered the connection.</summary>
        public static async Task<RawClient?> TryConnectAsync(string ns, string source, IPEndPoint target)
        {
            var socket = NamespaceThread.Run(ns, () =>
            {
                var made = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                made.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                return made;
            });
            using var timeout = new CancellationTokenSource(Patience);
            try
            {
                await socket.ConnectAsync(target, timeout.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                // Refused, or never answered: a gateway that stopped accepting leaves it in the backlog.
                socket.Dispose();
                return null;
            }

            var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false, (_, _, _, _) => true);
            try
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "gateway" }, timeout.Token);
                return new RawClient(ssl);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
                await ssl.DisposeAsync();
                return null;
            }
        }

        /// <summary>
        /// Half a request (<paramref name="partial"/>) or a keep-alive probe whose answer is read;
        /// false when the gateway closed the connection (it was refused after the handshake).
        /// </summary>
        public async Task<bool> TryIdleAsync(bool partial)
        {
            try
            {
                if (partial)
                {
                    await WriteAsync("GET / HTTP/1.1\r\nHost: gateway\r\n");
                    return true;
                }

                return (await RequestAsync("GET / HTTP/1.1\r\nHost: gateway\r\n\r\n")).Status == 200;
            }
            catch (IOException)
            {
                return false;
            }
        }

        /// <summary>A keep-alive probe every <paramref name="interval"/> until <paramref name="stop"/> or the gateway closes the connection.</summary>
        public async Task KeepAliveAsync(TimeSpan interval, CancellationToken stop)
        {
            try
            {
                while (true)
                {
                    await Task.Delay(interval, stop);
                    await RequestAsync("GET / HTTP/1.1\r\nHost: gateway\r\n\r\n");
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // Stopped, or the gateway closed it.
            }
        }

        /// <summary>Sends one request and reads the answer: its status and session cookie; the body is read past.</summary>
        public async Task<(int Status, string? Cookie)> RequestAsync(string request)
        {
            await WriteAsync(request);
            var head = new StringBuilder();
            byte[] one = new byte[1];
            using var timeout = new CancellationTokenSource(Patience);
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await _ssl.ReadAsync(one, timeout.Token) == 0)
                {
                    throw new IOException("the gateway closed the connection before answering");
                }

                head.Append((char)one[0]);
            }

            string[] lines = head.ToString().Split("\r\n");
            int status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
            string? cookie = lines.FirstOrDefault(l => l.StartsWith("Set-Cookie: webvpn=", StringComparison.OrdinalIgnoreCase)) is { } line
                ? line["Set-Cookie: webvpn=".Length..].Split(';')[0]
                : null;
            int length = lines.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } field
                ? int.Parse(field["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture)
                : 0;
            await _ssl.ReadExactlyAsync(new byte[length], timeout.Token);
            return (status, cookie);
        }

        public ValueTask DisposeAsync() => _ssl.DisposeAsync();

        private async Task WriteAsync(string text)
        {
            using var timeout = new CancellationTokenSource(Patience);
            await _ssl.WriteAsync(Encoding.ASCII.GetBytes(text), timeout.Token);
            await _ssl.FlushAsync(timeout.Token);
        }
    }
}
