using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using OpenTunnel.Client.HostNetwork;
using OpenTunnel.Client.Native;
using OpenTunnel.Client.Oidc;
using OpenTunnel.Client.State;
using OpenTunnel.Identity.Contracts.Devices;
using OpenTunnel.Platform.Linux.Tun;
using OpenTunnel.Protocol.Client;

namespace OpenTunnel.Client.OnDemand;

/// <summary>What <c>on-demand run</c> acts for: the profile, its gateway and how to trust it, the stub's address, and the files it keeps.</summary>
public sealed record OnDemandRequest(DeviceProfile Profile, Uri Gateway, string? ServerCertificatePin, IPAddress Listen, string ResolvConfPath, string StubStateFile, string TunnelStateFile);

/// <summary>How <c>on-demand run</c> ended.</summary>
public enum OnDemandOutcome
{
    /// <summary>Stopped by SIGINT/SIGTERM; the tunnel (when up) disconnected, resolv.conf restored.</summary>
    Stopped,

    /// <summary>Another on-demand run (or a native connect) holds the state file.</summary>
    AlreadyRunning,

    /// <summary>The host could not be set up: the stub's port, resolv.conf, systemd-resolved.</summary>
    HostNotReady,
}

/// <summary>
/// On-demand for one profile with the native engine: a DNS stub on a loopback address becomes the
/// system's resolver (/etc/resolv.conf, restored byte for byte at the end and by the next start
/// after a kill); each query is answered through the network's own resolver, except names that
/// match a connect rule, which bring the tunnel up and are answered by the tunnel's DNS servers
/// (evaluate: only when the network's resolver does not know the name); while the tunnel is down, the
/// first packet to a range of a connect rule's ipRanges brings it up too (<see cref="RangeTrap"/>). A disconnect rule's name
/// and the profile's idle time take the tunnel down. On a trusted network (its DNS suffix, or the
/// probe URL's answer) nothing connects; it is checked at start and whenever the network changes
/// (a new resolv.conf from a DHCP client or network manager, an address added or removed).
/// </summary>
public sealed class OnDemandTunnel(OnDemandRequest request, Func<CancellationToken, Task<string>> gatewayToken, TextWriter progress, TimeProvider time)
{
    /// <summary>How long a query that brings the tunnel up waits for it (a resolver asks again meanwhile).</summary>
    public static readonly TimeSpan ConnectWait = TimeSpan.FromSeconds(90);

    /// <summary>How long the stub waits for one upstream server's answer.</summary>
    public static readonly TimeSpan UpstreamTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How often the range trap is read, and looked at whether it is still wanted.</summary>
    public static readonly TimeSpan TrapPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>How often the network, the idle time and the tunnel are looked at.</summary>
    public static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _tunnelGate = new(1, 1);
    private readonly TextWriter _progress = TextWriter.Synchronized(progress);
    private TunnelRun? _tunnel;
    private string _network = string.Empty;
    private string? _trustedBecause;
    private volatile bool _evaluating;
    private long _dropped;
    private long _answered;

    /// <summary>Queries that were not a query with one question (dropped, counted).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public async Task<OnDemandOutcome> RunAsync(CancellationToken stop)
    {
        var stubState = new TunnelStateFile(request.StubStateFile);
        if (!stubState.Repair(_progress))
        {
            return OnDemandOutcome.AlreadyRunning;
        }

        if (HostCommands.ResolvedRuns)
        {
            _progress.WriteLine($"systemd-resolved runs here ({HostCommands.ResolvedSocket}): on-demand needs an /etc/resolv.conf it can point at its DNS stub, and does not configure systemd-resolved yet.");
            return OnDemandOutcome.HostNotReady;
        }

        byte[] original;
        try
        {
            original = File.Exists(request.ResolvConfPath) ? await File.ReadAllBytesAsync(request.ResolvConfPath, stop) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _progress.WriteLine($"{request.ResolvConfPath} cannot be read: {e.Message}");
            return OnDemandOutcome.HostNotReady;
        }

        _network = System.Text.Encoding.UTF8.GetString(original);
        if (StubResolvConf.IsStub(_network))
        {
            _progress.WriteLine($"{request.ResolvConfPath} is the one an on-demand run wrote, and no saved copy of the network's file is left: write the network's resolv.conf back (or renew the DHCP lease), then start again.");
            return OnDemandOutcome.HostNotReady;
        }

        using var socket = new Socket(request.Listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(request.Listen, 53));
        }
        catch (SocketException e)
        {
            _progress.WriteLine($"The DNS stub cannot listen on {request.Listen}:53 ({e.Message}): run as root, and choose a free address with --listen.");
            return OnDemandOutcome.HostNotReady;
        }

        var state = new TunnelState
        {
            ProcessId = Environment.ProcessId,
            Gateway = request.Gateway.ToString(),
            ResolvConfPath = request.ResolvConfPath,
            ResolvConfOriginal = Convert.ToBase64String(original),
            Since = time.GetUtcNow(),
        };
        stubState.Save(state);
        try
        {
            WriteStub();
            await CheckTrustAsync("at start", stop);
            _progress.WriteLine($"{Now} On-demand: the DNS stub answers on {request.Listen}:53 for profile {request.Profile.Name} (upstream {Upstream()}).");
            Task answering = AnswerAsync(socket, stop);
            Task trapping = TrapAsync(RangeTrap.ConnectRanges(request.Profile.OnDemandRules), stop);
            await WatchAsync(stubState, state, stop);
            await answering;
            await trapping;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The user's stop.
        }
        finally
        {
            await TakeDownAsync("on-demand stops", CancellationToken.None);
            state = stubState.Load() ?? state;
            TunnelStateFile.Undo(state);
            stubState.Delete();
            _progress.WriteLine($"{Now} On-demand: stopped; {request.ResolvConfPath} is restored ({Interlocked.Read(ref _answered)} queries answered, {Dropped} dropped).");
        }

        return OnDemandOutcome.Stopped;
    }

    private string Now => time.GetUtcNow().ToString("u", System.Globalization.CultureInfo.InvariantCulture);

    private string Upstream() => StubResolvConf.Servers(_network) is { Count: > 0 } servers ? string.Join(", ", servers) : "none";

    /// <summary>Points resolv.conf at the stub; written in place, not renamed over: the file may be a bind mount (ip netns exec, containers).</summary>
    private void WriteStub() => File.WriteAllText(request.ResolvConfPath, StubResolvConf.Render(request.Listen, _network));

    private async Task AnswerAsync(Socket socket, CancellationToken stop)
    {
        byte[] buffer = new byte[4096];
        while (!stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP error of an earlier answer; the socket carries on.
                continue;
            }

            byte[] query = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            string? name = DnsMessage.QuestionName(query);
            if (name is null)
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }

            // Each query on its own: one that waits for the tunnel holds up no other.
            _ = Task.Run(() => AnswerOneAsync(socket, query, name, received.RemoteEndPoint, stop), CancellationToken.None);
        }
    }

    private async Task AnswerOneAsync(Socket socket, byte[] query, string name, EndPoint from, CancellationToken stop)
    {
        try
        {
            byte[] answer = await ResolveAsync(query, name, stop) ?? DnsMessage.ServerFailure(query);
            await socket.SendToAsync(answer, SocketFlags.None, from, stop);
            Interlocked.Increment(ref _answered);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopping, or the asker is gone.
        }
    }

    private async Task<byte[]?> ResolveAsync(byte[] query, string name, CancellationToken stop)
    {
        OnDemandDecision decision = _trustedBecause is not null || _evaluating ? OnDemandDecision.None : OnDemandPolicy.ForName(request.Profile.OnDemandRules, name);
        switch (decision)
        {
            case OnDemandDecision.Connect:
                return await EnsureTunnelAsync($"{name} matches a connect rule", stop) is { DnsServers.Count: > 0 } lease
                    ? await AskAsync(lease.DnsServers, query, stop)
                    : null;
            case OnDemandDecision.Evaluate:
                byte[]? outside = await AskAsync(StubResolvConf.Servers(_network), query, stop);
                if (outside is not null && DnsMessage.ResponseCode(outside) is not (DnsMessage.NameErrorCode or DnsMessage.ServerFailureCode))
                {
                    return outside;
                }

                return await EnsureTunnelAsync($"{name} matches an evaluate rule and the network's resolver does not know it", stop) is { DnsServers.Count: > 0 } evaluated
                    ? await AskAsync(evaluated.DnsServers, query, stop) ?? outside
                    : outside;
            case OnDemandDecision.Disconnect:
                await TakeDownAsync($"{name} matches a disconnect rule", stop);
                return await AskAsync(StubResolvConf.Servers(_network), query, stop);
            default:
                return await AskAsync(StubResolvConf.Servers(_network), query, stop);
        }
    }

    /// <summary>The first answer of <paramref name="servers"/> in order, each given <see cref="UpstreamTimeout"/>; null when none answers.</summary>
    private async Task<byte[]?> AskAsync(IReadOnlyList<IPAddress> servers, byte[] query, CancellationToken stop)
    {
        foreach (IPAddress server in servers.Where(s => !s.Equals(request.Listen)))
        {
            using var upstream = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(UpstreamTimeout);
            try
            {
                await upstream.ConnectAsync(new IPEndPoint(server, 53), timeout.Token);
                await upstream.SendAsync(query, SocketFlags.None, timeout.Token);
                byte[] answer = new byte[4096];
                while (true)
                {
                    int length = await upstream.ReceiveAsync(answer, SocketFlags.None, timeout.Token);
                    if (length >= 12 && DnsMessage.Id(answer) == DnsMessage.Id(query))
                    {
                        return answer[..length];
                    }
                }
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                // No answer in time: the next server.
            }
            catch (SocketException)
            {
                // Unreachable: the next server.
            }
        }

        return null;
    }

    /// <summary>The tunnel's lease, bringing the tunnel up first when it is down; null when it cannot come up (said why).</summary>
    private async Task<TunnelLease?> EnsureTunnelAsync(string why, CancellationToken stop)
    {
        await _tunnelGate.WaitAsync(stop);
        try
        {
            if (_tunnel is { } running)
            {
                if (running.Engine.Lease is { } lease)
                {
                    return lease;
                }

                // It ended on its own since the watch last looked.
                await running.EndAsync();
                _tunnel = null;
            }

            _progress.WriteLine($"{Now} On-demand: {why}: bringing the tunnel up to {request.Gateway.Authority}.");
            string token;
            try
            {
                token = await gatewayToken(stop);
            }
            catch (Exception e) when (e is ProviderException or ClientStateException or HttpRequestException)
            {
                _progress.WriteLine($"{Now} On-demand: no gateway token ({e.Message}); the name is answered with SERVFAIL.");
                return null;
            }

            var engine = new NativeEngine(_progress, new TunnelStateFile(request.TunnelStateFile), time);
            var cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);
            Task<NativeOutcome> run = Task.Run(
                () => engine.RunAsync(new NativeConnectRequest(request.Gateway, request.ServerCertificatePin, new SignInCredentials(token), ManageDns: false), cancel.Token),
                CancellationToken.None);
            long started = time.GetTimestamp();
            while (engine.Lease is null && !run.IsCompleted && time.GetElapsedTime(started) < ConnectWait)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, stop);
            }

            var tunnel = new TunnelRun(engine, cancel, run) { LastPackets = 0, LastActivity = time.GetTimestamp() };
            if (engine.Lease is not { } up)
            {
                await tunnel.EndAsync();
                _progress.WriteLine($"{Now} On-demand: the tunnel did not come up{(run.IsCompleted ? string.Empty : $" within {ConnectWait.TotalSeconds:0} s")}; the name is answered with SERVFAIL.");
                return null;
            }

            _tunnel = tunnel;
            _progress.WriteLine($"{Now} On-demand: the tunnel is up; names of the connect rules are answered by {string.Join(", ", up.DnsServers)}.");
            return up;
        }
        finally
        {
            _tunnelGate.Release();
        }
    }

    private async Task TakeDownAsync(string why, CancellationToken stop)
    {
        await _tunnelGate.WaitAsync(stop);
        try
        {
            if (_tunnel is not { } tunnel)
            {
                return;
            }

            _progress.WriteLine($"{Now} On-demand: {why}: taking the tunnel down.");
            await tunnel.EndAsync();

            // Only now: the range trap waits for the tunnel's routes to be gone before it puts its own.
            _tunnel = null;
            _progress.WriteLine($"{Now} On-demand: the tunnel is down.");
        }
        finally
        {
            _tunnelGate.Release();
        }
    }

    /// <summary>
    /// While the tunnel is down and the network is not trusted, a <see cref="RangeTrap"/> for the
    /// connect rules' ranges; its first packet to one brings the tunnel up (that packet is lost:
    /// TCP and ping send again).
    /// </summary>
    private async Task TrapAsync(IReadOnlyList<IPNetwork> ranges, CancellationToken stop)
    {
        if (ranges.Count == 0)
        {
            return;
        }

        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (_tunnel is not null || _trustedBecause is not null)
                {
                    await Task.Delay(TrapPoll, time, stop);
                    continue;
                }

                IPAddress? destination = null;
                using (RangeTrap trap = RangeTrap.Open(ranges, _progress))
                {
                    while (destination is null && _tunnel is null && _trustedBecause is null)
                    {
                        await Task.Delay(TrapPoll, time, stop);
                        destination = trap.TakeDestination();
                    }
                }

                if (destination is not null)
                {
                    await EnsureTunnelAsync($"traffic to {destination} matches a connect rule", stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The user's stop; the trap's routes went with its device.
        }
        catch (TunDeviceException e)
        {
            _progress.WriteLine($"{Now} On-demand: traffic to the rules' address ranges cannot bring the tunnel up ({e.Message}); names still do.");
        }
    }

    /// <summary>Every <see cref="WatchInterval"/>: a tunnel that ended on its own, the idle time, and a change of network (then trust is checked again).</summary>
    private async Task WatchAsync(TunnelStateFile stubState, TunnelState state, CancellationToken stop)
    {
        string addresses = Addresses();
        using var tick = new PeriodicTimer(WatchInterval, time);
        while (await tick.WaitForNextTickAsync(stop))
        {
            if (_tunnel is { } tunnel)
            {
                if (tunnel.Run.IsCompleted)
                {
                    await TakeDownAsync("the tunnel ended", stop);
                }
                else if (request.Profile.OnDemandIdleSeconds is { } idle)
                {
                    long packets = tunnel.Engine.PacketsFromHost;
                    if (packets != tunnel.LastPackets)
                    {
                        tunnel.LastPackets = packets;
                        tunnel.LastActivity = time.GetTimestamp();
                    }
                    else if (time.GetElapsedTime(tunnel.LastActivity) >= TimeSpan.FromSeconds(idle))
                    {
                        await TakeDownAsync($"no traffic through the tunnel for {idle} s", stop);
                    }
                }
            }

            string? change = null;
            string current = File.Exists(request.ResolvConfPath) ? await File.ReadAllTextAsync(request.ResolvConfPath, stop) : string.Empty;
            if (!StubResolvConf.IsStub(current))
            {
                // A DHCP client or network manager wrote the new network's file: it is the upstream now, and what the end restores.
                _network = current;
                state = state with { ResolvConfOriginal = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(current)) };
                stubState.Save(state);
                WriteStub();
                change = $"{request.ResolvConfPath} was rewritten (upstream {Upstream()})";
            }

            string now = Addresses();
            if (now != addresses)
            {
                addresses = now;
                change ??= "the machine's addresses changed";
            }

            if (change is not null)
            {
                await CheckTrustAsync(change, stop);
            }
        }
    }

    /// <summary>Whether the network is trusted now; a trusted network takes a running tunnel down.</summary>
    private async Task CheckTrustAsync(string when, CancellationToken stop)
    {
        string? because = null;
        if (request.Profile.TrustedNetwork is { } trusted)
        {
            if (OnDemandPolicy.TrustedSuffix(StubResolvConf.SearchDomains(_network), trusted.DnsSuffixes) is { } suffix)
            {
                because = $"its DNS suffix {suffix} is a trusted one";
            }
            else if (trusted.ProbeUrl is { } url && trusted.ProbeStatus is { } expected && _tunnel is null)
            {
                // The probe's own name goes to the network's resolver, not to a connect rule.
                _evaluating = true;
                try
                {
                    because = await ProbeAsync(url, expected, stop);
                }
                finally
                {
                    _evaluating = false;
                }
            }
        }

        _trustedBecause = because;
        _progress.WriteLine(because is null
            ? $"{Now} On-demand ({when}): the network is not trusted; names of the connect rules bring the tunnel up."
            : $"{Now} On-demand ({when}): the network is trusted ({because}); nothing connects.");
        if (because is not null)
        {
            await TakeDownAsync("the network is trusted", stop);
        }
    }

    /// <summary>The reason when <paramref name="url"/> answers <paramref name="expected"/> (redirects not followed: a 302 can be the expected answer); null otherwise.</summary>
    private static async Task<string?> ProbeAsync(string url, int expected, CancellationToken stop)
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using HttpResponseMessage response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stop);
            return (int)response.StatusCode == expected ? $"{url} answered {expected}" : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The machine's addresses outside loopback, the tunnel's device and the range trap's, one string to compare.</summary>
    private static string Addresses() => string.Join(' ', NetworkInterface.GetAllNetworkInterfaces()
        .Where(i => i.NetworkInterfaceType != NetworkInterfaceType.Loopback
            && !i.Name.StartsWith(NativeEngine.TunDeviceName[..^2], StringComparison.Ordinal)
            && !i.Name.StartsWith(RangeTrap.DeviceName[..^2], StringComparison.Ordinal))
        .SelectMany(i => i.GetIPProperties().UnicastAddresses.Select(a => $"{i.Name}:{a.Address}"))
        .Order(StringComparer.Ordinal));

    /// <summary>A tunnel on-demand brought up: the engine, its stop, its run, and the traffic the idle time watches.</summary>
    private sealed class TunnelRun(NativeEngine engine, CancellationTokenSource cancel, Task<NativeOutcome> run)
    {
        public NativeEngine Engine { get; } = engine;

        public Task<NativeOutcome> Run { get; } = run;

        public long LastPackets { get; set; }

        public long LastActivity { get; set; }

        /// <summary>Stops the engine (it says DISCONNECT and undoes its routes) and waits for it.</summary>
        public async Task EndAsync()
        {
            await cancel.CancelAsync();
            await Run;
            cancel.Dispose();
        }
    }
}
