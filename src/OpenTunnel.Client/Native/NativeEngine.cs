using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Client.HostNetwork;
using OpenTunnel.Client.PerApp;
using OpenTunnel.Platform.Linux.Tls;
using OpenTunnel.Platform.Linux.Tun;
using OpenTunnel.Protocol.Client;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Dtls;
using OpenTunnel.Trust;

namespace OpenTunnel.Client.Native;

/// <summary>How a native connect ended.</summary>
public enum NativeOutcome
{
    /// <summary>The user stopped it (SIGINT/SIGTERM) and the gateway was told.</summary>
    Stopped,

    /// <summary>The gateway could not be reached, ended the session, or the link broke.</summary>
    Failed,

    /// <summary>The gateway refused the sign-in or the tunnel.</summary>
    Refused,

    /// <summary>Another native connect runs on this machine.</summary>
    AlreadyRunning,

    /// <summary>The host could not be configured (not root, no iproute2, a route refused).</summary>
    HostNotReady,
}

/// <summary>
/// The OpenConnect protocol in this process (the native engine of <c>connect</c>): TLS to the
/// gateway, sign-in, CONNECT, a TUN device with the leased addresses, the routes and DNS the
/// gateway announces, CSTP until the user stops it (DISCONNECT, then everything undone) or the
/// gateway ends the session. What it changes on the host is recorded in <see cref="TunnelStateFile"/>
/// first, so that a killed client's leftovers are repaired by the next start.
/// </summary>
/// <remarks>Every outcome is told to <c>progress</c> in a sentence that says what to do next.</remarks>
public sealed class NativeEngine(TextWriter progress, TunnelStateFile stateFile, TimeProvider time)
{
    private long _packetsFromHost;
    private volatile TunnelLease? _lease;

    /// <summary>The kernel numbers the devices: opentun0, opentun1...</summary>
    public const string TunDeviceName = "opentun%d";

    /// <summary>How often <c>tunnel.json</c> gets the byte counts (a change of channel is written within a second).</summary>
    public static readonly TimeSpan StateInterval = TimeSpan.FromSeconds(10);

    /// <summary>At most this many redirects of one sign-in are followed (a gateway redirects a new sign-in once; its peer never again).</summary>
    public const int MaxRedirects = 3;

    /// <summary>How long the tunnel tries to come back after its link broke, as openconnect's default <c>--reconnect-timeout</c>.</summary>
    public static readonly TimeSpan ReconnectTimeout = TimeSpan.FromSeconds(300);

    /// <summary>The longest wait between two reconnect attempts (they start at once, then 1, 2, 4, 8 s).</summary>
    public static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(10);

    /// <summary>The lease while the host is configured for it (the tunnel carries traffic); null before and after.</summary>
    public TunnelLease? Lease => _lease;

    /// <summary>Packets the host has sent into the tunnel so far (all links): what an idle timer watches.</summary>
    public long PacketsFromHost => Interlocked.Read(ref _packetsFromHost);

    public async Task<NativeOutcome> RunAsync(NativeConnectRequest request, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!stateFile.Repair(progress))
        {
            return NativeOutcome.AlreadyRunning;
        }

        // The gateway may send the sign-in to another server of its site (load-aware sign-in);
        // the tunnel then runs there, as openconnect does it.
        Uri gateway = request.Gateway;
        string path = "/";
        for (int hop = 0; ; hop++)
        {
            TunnelLink link;
            try
            {
                progress.WriteLine($"Connecting to {gateway.Authority}…");
                link = await OpenLinkAsync(gateway, address: null, request, cookie: null, path, stop);
            }
            catch (TlsCertificateException e)
            {
                progress.WriteLine($"The certificate of the gateway {gateway.Authority} was refused: {e.Message}."
                    + (e.Certificate is { } der ? $" If this is the right gateway, pin its key: --servercert {PinOf(der)}" : string.Empty));
                return NativeOutcome.Failed;
            }
            catch (Exception e) when (e is SocketException or AuthenticationException)
            {
                progress.WriteLine($"Cannot reach the gateway {gateway.Authority}: {e.Message}. Check the URL and that this machine reaches it (TCP port {gateway.Port}).");
                return NativeOutcome.Failed;
            }
            catch (SignInRedirectException e) when (hop < MaxRedirects)
            {
                progress.WriteLine($"The gateway {gateway.Authority} sent the sign-in to {e.Location.Authority}.");
                gateway = e.Location;
                path = e.Location.PathAndQuery;
                continue;
            }
            catch (SignInRedirectException e)
            {
                progress.WriteLine($"The gateways sent the sign-in on more than {MaxRedirects} times (last to {e.Location.Authority}); the site's load-balancing setup loops.");
                return NativeOutcome.Failed;
            }
            catch (SignInException e)
            {
                progress.WriteLine($"The gateway refused the sign-in: {e.Message}. Get a new token (opentunnel token) or check the user name and password.");
                return NativeOutcome.Refused;
            }
            catch (TunnelRefusedException e)
            {
                progress.WriteLine($"The gateway refused the tunnel: {e.Message}.");
                return e.CookieRefused ? NativeOutcome.Refused : NativeOutcome.Failed;
            }
            catch (FormatException e)
            {
                progress.WriteLine($"The gateway answered something this client cannot read: {e.Message}");
                return NativeOutcome.Failed;
            }
            catch (IOException e)
            {
                progress.WriteLine($"The connection to the gateway {gateway.Authority} failed: {e.Message}. Check the URL and that this machine reaches it (TCP port {gateway.Port}).");
                return NativeOutcome.Failed;
            }

            return await RunTunnelAsync(request, link, stop);
        }
    }

    /// <summary>
    /// TLS to <paramref name="gateway"/> (at <paramref name="address"/> when given: a reconnect goes
    /// where the tunnel's outside route points), a sign-in unless <paramref name="cookie"/> is
    /// given, and CONNECT. Throws what the sign-in throws, and <see cref="TunnelRefusedException"/>
    /// when CONNECT is not answered 200.
    /// </summary>
    private async Task<TunnelLink> OpenLinkAsync(Uri gateway, IPAddress? address, NativeConnectRequest request, string? cookie, string path, CancellationToken stop)
    {
        // The host's path to the gateway, which its route outside the tunnel keeps, is looked up
        // (an 'ip' process) while TLS, sign-in and CONNECT run; a reconnect keeps the device and its routes.
        bool lookUpPath = address is null && request.AppNamespace is null;
        (IPAddress gatewayAddress, Socket socket, OpenSslClientStream tls, Task<HostRoute?>? gatewayPath) = await OpenAsync(gateway, address, request.ServerCertificatePin, lookUpPath, stop);
        try
        {
            var exchange = new HttpExchange(tls);
            if (cookie is null)
            {
                cookie = await ClientSignIn.SignInAsync(exchange, gateway.Host, gateway.Port, request.Credentials, stop, path);
                progress.WriteLine("Signed in; opening the tunnel…");
            }

            // X-DTLS-Master-Secret: the DTLS session's master secret, chosen by the client for each CONNECT (openconnect dtls.c).
            // PSK-NEGOTIATE goes first when this connection's TLS exporter can be read: ocserv takes
            // it (worker-http.c), our gateway ignores the name and answers in master-secret mode.
            byte[] masterSecret = RandomNumberGenerator.GetBytes(48);
            byte[]? psk = tls.TryExportKeyingMaterial(DtlsPskClient.ExporterLabel, DtlsPskClient.KeyLength);
            var options = new ClientConnectOptions
            {
                Hostname = Dns.GetHostName(),
                DtlsMasterSecret = Convert.ToHexString(masterSecret),
                DtlsCipherSuites = (psk is null ? string.Empty : DtlsCipherSuite.PskNegotiate + ":") + DtlsCipherSuite.Offer(cisco: false),
                Dtls12CipherSuites = DtlsCipherSuite.Offer(cisco: true),
            };
            var head = await exchange.SendConnectAsync(ClientSignIn.ConnectRequest(gateway.Host, cookie, options), stop);
            if (head.StatusCode != 200 || !head.StatusLine.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal))
            {
                throw new TunnelRefusedException($"{head.StatusLine}{ClientSignIn.Reason(head)}", head.StatusCode is 401 or 403);
            }

            var dtls = DtlsConnectAnswer.FromConnectResponse(head, pskOffered: psk is not null);
            byte[] dtlsKey = dtls is { IsPskNegotiate: true } ? psk! : masterSecret;
            return new TunnelLink(gateway, socket, tls, exchange.TakeBuffered(), TunnelLease.FromConnectResponse(head), gatewayAddress, gatewayPath, dtls, dtlsKey, cookie);
        }
        catch
        {
            await tls.DisposeAsync();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// After the link broke: new links to the same gateway address with the session cookie (a
    /// refused cookie falls back to a fresh sign-in), at once and then with a growing wait, for at
    /// most <see cref="ReconnectTimeout"/> (without a limit for <see cref="NativeConnectRequest.KeepReconnecting"/>).
    /// Null when it gave up (said why) or the user stopped. The lease may differ from the broken link's: the caller configures the host for it.
    /// </summary>
    private async Task<TunnelLink?> ReconnectAsync(NativeConnectRequest request, TunnelLink broken, CancellationToken stop)
    {
        long started = time.GetTimestamp();
        TimeSpan wait = TimeSpan.Zero;
        string? cookie = broken.Cookie;
        for (int attempt = 1; ; attempt++)
        {
            TimeSpan left = ReconnectTimeout - time.GetElapsedTime(started);
            if (!request.KeepReconnecting && left <= wait)
            {
                progress.WriteLine($"The gateway {broken.Uri.Authority} could not be reached again within {ReconnectTimeout.TotalSeconds:0} s ({attempt - 1} attempts): check the network and connect again.");
                return null;
            }

            try
            {
                await Task.Delay(wait, time, stop);
                return await OpenLinkAsync(broken.Uri, broken.Gateway, request, cookie, "/", stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return null;
            }
            catch (TunnelRefusedException e) when (e.CookieRefused && cookie is not null)
            {
                progress.WriteLine($"The gateway no longer knows the session ({e.Message}): signing in again.");
                cookie = null;
                wait = TimeSpan.Zero;
                continue;
            }
            catch (Exception e) when (e is TunnelRefusedException or SignInException or SignInRedirectException)
            {
                progress.WriteLine($"The gateway refused the tunnel again: {e.Message}. Connect again (a new token may be needed).");
                return null;
            }
            catch (Exception e) when (e is SocketException or AuthenticationException or IOException or FormatException)
            {
                wait = wait == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, MaxReconnectDelay.Ticks));
                progress.WriteLine($"Reconnect attempt {attempt} to {broken.Uri.Authority} failed ({e.Message}); the next in {wait.TotalSeconds:0} s.");
            }
        }
    }

    /// <summary>
    /// TCP and TLS to the gateway. With --servercert the certificate's key must have that pin
    /// (openconnect's --servercert); without it, the system's trust store and the host name decide.
    /// </summary>
    private static async Task<(IPAddress Address, Socket Socket, OpenSslClientStream Tls, Task<HostRoute?>? GatewayPath)> OpenAsync(Uri gateway, IPAddress? knownAddress, string? pin, bool lookUpPath, CancellationToken stop)
    {
        string host = gateway.IdnHost.Trim('[', ']');
        IPAddress address = knownAddress ?? (IPAddress.TryParse(host, out var literal)
            ? literal
            : (await Dns.GetHostAddressesAsync(host, stop))[0]);
        // A thread of its own: it waits for a process, and the pool's two threads (on two cores) carry the sign-in meanwhile.
        Task<HostRoute?>? gatewayPath = lookUpPath
            ? Task.Factory.StartNew(() => HostCommands.PathTo(address), stop, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : null;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, gateway.Port), stop);
            Func<ReadOnlyMemory<byte>, bool>? acceptPeer = pin is null ? null : certificate => CertificatePins.Of(certificate) == pin;
            return (address, socket, await OpenSslClientStream.ConnectAsync(socket, host, acceptPeer, stop), gatewayPath);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<NativeOutcome> RunTunnelAsync(NativeConnectRequest request, TunnelLink link, CancellationToken stop)
    {
        TunDevice tun;
        try
        {
            // Offloads: the kernel hands over its large TCP segments (cut here, TunDevice.TryRead)
            // and takes joined ones (CoalescingPacketWriter), one system call and one pass through
            // its stack per run of segments instead of one per packet.
            tun = TunDevice.Create(request.TunDevice, offload: true);
        }
        catch (TunDeviceException e)
        {
            link.Dispose();
            progress.WriteLine(e.Message);
            return NativeOutcome.HostNotReady;
        }

        using (tun)
        {
            return await RunOnDeviceAsync(tun, request, link, stop);
        }
    }

    /// <summary>
    /// Configures the host once for the lease, then carries the tunnel over <paramref name="link"/>
    /// and, when a link breaks, over the link <see cref="ReconnectAsync"/> brings, until the user
    /// stops, the gateway ends the session, or no link comes back.
    /// </summary>
    private async Task<NativeOutcome> RunOnDeviceAsync(TunDevice tun, NativeConnectRequest request, TunnelLink link, CancellationToken stop)
    {
        var lease = link.Lease;
        var state = new TunnelState
        {
            ProcessId = Environment.ProcessId,
            Gateway = link.Gateway.ToString(),
            TunDevice = tun.Name,
            Addresses = lease.Addresses,
            Since = time.GetUtcNow(),
        };
        var totals = new TrafficTotals();
        var renewal = request is { RenewToken: { } renew, Credentials.Token: { } token } ? new TokenRenewal(token, renew, TextWriter.Synchronized(progress), time) : null;
        using var stopRenewing = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task renewing = renewal?.RunAsync(stopRenewing.Token) ?? Task.CompletedTask;
        try
        {
            try
            {
                state = Configure(tun, lease, link.Gateway, state, request, link.PathTo);
            }
            catch (Exception e) when (e is HostCommandException or TunDeviceException)
            {
                progress.WriteLine($"The tunnel is up but this machine could not be configured for it: {e.Message}");
                return NativeOutcome.HostNotReady;
            }

            _lease = lease;
            progress.WriteLine($"Connected to {link.Gateway}: {string.Join(", ", lease.Addresses)} on {tun.Name}, MTU {lease.Mtu}, over TLS{(link.Dtls is null ? " (the gateway offers no DTLS)" : "; DTLS is being set up")}.");
            if (lease.Banner is not null)
            {
                progress.WriteLine(lease.Banner);
            }

            state = state with { ChannelSince = state.Since };
            while (true)
            {
                ChannelEnd end;
                (end, state) = await CarryAsync(tun, link, state, totals, stop);
                if (end is ChannelEnd.Stopped or ChannelEnd.ServerDisconnected)
                {
                    return Report(end, totals);
                }

                progress.WriteLine($"{Why(end)}: reconnecting with the session cookie ({(request.KeepReconnecting ? "until the gateway answers" : $"for up to {ReconnectTimeout.TotalSeconds:0} s")})…");
                // A fresh sign-in in the reconnect presents the renewed token, not the one the tunnel started with.
                var current = renewal is null ? request : request with { Credentials = request.Credentials with { Token = renewal.Current } };
                TunnelLink? next = await ReconnectAsync(current, link, stop);
                link.Dispose();
                if (next is null)
                {
                    return Report(stop.IsCancellationRequested ? ChannelEnd.Stopped : end, totals);
                }

                link = next;
                state = state with { Channel = "TLS", ChannelSince = time.GetUtcNow() };
                if (link.Lease.ChangesFrom(lease) is { Count: > 0 } changes)
                {
                    // A gateway restarted with another configuration restores the session with what it has now; the tunnel carries on with that.
                    progress.WriteLine($"The gateway gave a different lease ({string.Join("; ", changes)}): configuring the tunnel for it.");
                    _lease = null;
                    try
                    {
                        state = Reconfigure(tun, link.Lease, link.Gateway, state, request);
                    }
                    catch (Exception e) when (e is HostCommandException or TunDeviceException)
                    {
                        progress.WriteLine($"This machine could not be configured for the new lease: {e.Message}");
                        return NativeOutcome.HostNotReady;
                    }

                    lease = link.Lease;
                    _lease = lease;
                }

                progress.WriteLine($"Reconnected to {link.Gateway}: {string.Join(", ", link.Lease.Addresses)} on {tun.Name}, over TLS{(link.Dtls is null ? string.Empty : "; DTLS is being set up")}.");
            }
        }
        finally
        {
            await stopRenewing.CancelAsync();
            await renewing;
            _lease = null;
            link.Dispose();
            TunnelStateFile.Undo(state);
            stateFile.Delete();
        }
    }

    /// <summary>
    /// One link's life: the TLS channel, DTLS beside it, the TUN reader and the state file's
    /// updates, until the channel ends; a stop by the user says DISCONNECT on it first.
    /// </summary>
    private async Task<(ChannelEnd End, TunnelState State)> CarryAsync(TunDevice tun, TunnelLink link, TunnelState state, TrafficTotals totals, CancellationToken stop)
    {
        // From here on every write is a frame and every send of the channel ends with a flush.
        link.Tls.Coalescing = true;
        using var channel = new CstpChannel(link.Tls, link.FirstFrames, TimeSpan.FromSeconds(link.Lease.DpdSeconds), TimeSpan.FromSeconds(link.Lease.KeepaliveSeconds), time);
        using var dtls = link.Dtls is { } answer
            ? new DtlsChannel(new IPEndPoint(link.Gateway, answer.Port), answer, link.DtlsKey, TextWriter.Synchronized(progress), time)
            : null;
        using var stopReading = new CancellationTokenSource();
        var reader = new Thread(() => ReadTun(tun, channel, dtls, ref _packetsFromHost, stopReading.Token)) { IsBackground = true, Name = "tun reader" };
        reader.Start();
        Thread? udp = null;
        if (dtls is not null)
        {
            // In the background: traffic flows over TLS meanwhile, and UDP that never works costs nothing.
            var writer = new CoalescingPacketWriter(tun);
            udp = new Thread(() => dtls.Run(writer.Write, writer.Flush, stopReading.Token)) { IsBackground = true, Name = "dtls" };
            udp.Start();
        }

        Task<TunnelState> recording = RecordAsync(state, channel, dtls, totals, stopReading.Token);
        ChannelEnd end = await channel.RunAsync(packet => tun.Write(packet.Span), stop);
        await stopReading.CancelAsync();
        state = await recording;
        dtls?.Dispose();
        reader.Join(TimeSpan.FromSeconds(2));
        udp?.Join(TimeSpan.FromSeconds(2));
        if (end == ChannelEnd.Stopped)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await channel.DisconnectAsync(timeout.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                progress.WriteLine($"The gateway could not be told ({e.Message}); it ends the session on its own.");
            }
        }

        totals.Add(channel, dtls);
        return (end, state);
    }

    /// <summary>
    /// Records, then applies <paramref name="lease"/> to the host: the device's address, MTU and
    /// routes, the gateway's and the excludes' routes outside the tunnel (the paths
    /// <paramref name="pathTo"/> gives: <see cref="HostCommands.PathTo"/>, or a link's lookup for
    /// its gateway), and DNS.
    /// </summary>
    private TunnelState Configure(TunDevice tun, TunnelLease lease, IPAddress gateway, TunnelState state, NativeConnectRequest request, Func<IPAddress, HostRoute?> pathTo)
    {
        state = state with { Addresses = lease.Addresses };
        if (request.AppNamespace is { } netns)
        {
            // A per-app profile: the device, its addresses, routes and DNS go into the namespace, as
            // the client's vpnc-script does it for openconnect; the host keeps its own routes (the
            // gateway's among them) and DNS, so nothing outside the namespace is recorded to undo.
            stateFile.Save(state);
            AppNamespace.Apply(AppTunnelPlan.ForLease(lease, tun.Name, gateway, netns, moveDevice: true), netns);
            return state;
        }

        bool manageDns = request.ManageDns;
        // Computed before any tunnel route exists: the paths the gateway and the excludes have now.
        var routes = RoutePlan.For(lease, tun.Name, gateway, pathTo);
        var outside = routes.Where(r => r.Device != tun.Name).ToList();
        bool resolved = HostCommands.ResolvedRuns;
        state = state with { OutsideRoutes = [.. outside.Select(r => r.Arguments("del"))] };
        if (manageDns && !resolved && lease.DnsServers.Count > 0)
        {
            const string resolvConf = "/etc/resolv.conf";
            byte[] original = File.Exists(resolvConf) ? File.ReadAllBytes(resolvConf) : [];
            state = state with { ResolvConfPath = resolvConf, ResolvConfOriginal = Convert.ToBase64String(original) };
        }

        // Recorded before anything changes, so that a kill at any point below is repaired by the next start.
        stateFile.Save(state);
        tun.SetMtu(lease.Mtu);
        if (lease.IPv4Address is not null)
        {
            tun.SetIPv4Address(lease.IPv4Address, 32);
        }

        tun.SetUp();
        var commands = new List<IReadOnlyList<string>>();
        if (lease.IPv6Address is not null)
        {
            // nodad: the address is the gateway's lease, unique by construction; DAD would hold it back for a second.
            commands.Add(["-6", "addr", "add", $"{lease.IPv6Address}/{lease.IPv6PrefixLength}", "dev", tun.Name, "nodad"]);
        }

        commands.AddRange(routes.Select(route => route.Arguments("replace")));
        HostCommands.IpBatch(commands);

        if (manageDns && lease.DnsServers.Count > 0)
        {
            if (resolved)
            {
                HostCommands.Resolvectl(["dns", tun.Name, .. lease.DnsServers.Select(s => s.ToString())]);
                var domains = new List<string>(lease.SplitDns);
                domains.Insert(0, lease.DefaultDomain ?? "~.");
                HostCommands.Resolvectl(["domain", tun.Name, .. domains]);
            }
            else
            {
                File.WriteAllText(state.ResolvConfPath!, ResolvConf.Render(lease));
            }
        }

        return state;
    }

    /// <summary>
    /// Configures the device, kept through a reconnect, for a lease that differs from the one it
    /// has: what the old lease set is undone (addresses and routes of the device, the outside routes,
    /// resolv.conf), then the new one is applied as at the start.
    /// </summary>
    private TunnelState Reconfigure(TunDevice tun, TunnelLease lease, IPAddress gateway, TunnelState state, NativeConnectRequest request)
    {
        string[] inNamespace = request.AppNamespace is { } netns ? ["-n", netns] : [];
        HostCommands.Ip([.. inNamespace, "addr", "flush", "dev", tun.Name]);
        HostCommands.IpQuietly([.. inNamespace, "-4", "route", "flush", "dev", tun.Name]);
        HostCommands.IpQuietly([.. inNamespace, "-6", "route", "flush", "dev", tun.Name]);
        if (request.AppNamespace is { } appNamespace)
        {
            state = state with { Addresses = lease.Addresses };
            stateFile.Save(state);
            AppNamespace.Apply(AppTunnelPlan.ForLease(lease, tun.Name, gateway, appNamespace, moveDevice: false), appNamespace);
            return state;
        }

        TunnelStateFile.Undo(state);
        state = state with { OutsideRoutes = [], ResolvConfPath = null, ResolvConfOriginal = null };
        stateFile.Save(state);
        return Configure(tun, lease, gateway, state, request, HostCommands.PathTo);
    }

    /// <summary>
    /// Keeps the channel and the byte counts (of every link so far) in <c>tunnel.json</c> for
    /// <c>opentunnel status</c>: a change of channel within a second, the counts every
    /// <see cref="StateInterval"/>. Returns the state as last recorded.
    /// </summary>
    private async Task<TunnelState> RecordAsync(TunnelState state, CstpChannel channel, DtlsChannel? dtls, TrafficTotals totals, CancellationToken stop)
    {
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        DateTimeOffset saved = DateTimeOffset.MinValue;
        try
        {
            while (await tick.WaitForNextTickAsync(stop))
            {
                string path = dtls is { IsCarrying: true } ? "DTLS" : "TLS";
                DateTimeOffset now = time.GetUtcNow();
                if (path == state.Channel && now - saved < StateInterval)
                {
                    continue;
                }

                state = state with
                {
                    Channel = path,
                    ChannelSince = path == state.Channel ? state.ChannelSince : (dtls?.CarryingSince is { } since && path == "DTLS" ? since : now),
                    BytesSent = totals.Sent + channel.BytesOut + (dtls?.BytesOut ?? 0),
                    BytesReceived = totals.Received + channel.BytesIn + (dtls?.BytesIn ?? 0),
                    UpdatedAt = now,
                };
                stateFile.Save(state);
                saved = now;
            }
        }
        catch (OperationCanceledException)
        {
            // The link ends.
        }
        catch (IOException e)
        {
            progress.WriteLine($"{stateFile.Path} cannot be written any more ({e.Message}); opentunnel status shows the tunnel as it was then.");
        }

        return state;
    }

    /// <summary>
    /// Packets the host routes into the TUN device go to the gateway: over DTLS while it carries
    /// them, else as CSTP frames: those of one read of the device go to the channel together, one
    /// TLS record each, in one send (each packet read straight into the batch after the room for
    /// its header, so neither path allocates).
    /// </summary>
    private static void ReadTun(TunDevice tun, CstpChannel channel, DtlsChannel? dtls, ref long packets, CancellationToken stop)
    {
        var batch = new CstpFrameBatch();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (!tun.WaitForPacket(200))
                {
                    continue;
                }

                int length;
                while ((length = tun.TryRead(batch.NextPacket)) > 0)
                {
                    Interlocked.Increment(ref packets);
                    if (dtls is not null && dtls.TrySendPacket(batch.NextPacket[..length]))
                    {
                        continue;
                    }

                    batch.Commit(length);
                    if (batch.IsFull)
                    {
                        channel.SendAsync(batch, stop).AsTask().GetAwaiter().GetResult();
                    }
                }

                // The device is empty: what was collected from it leaves now, in as few system calls as the kernel allows.
                if (batch.Packets > 0)
                {
                    channel.SendAsync(batch, stop).AsTask().GetAwaiter().GetResult();
                }

                dtls?.FlushPackets();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or TunDeviceException)
        {
            // The channel or the device is gone; the channel's own loop reports why.
        }
    }

    /// <summary>Says how the tunnel ended, with the traffic of all its links.</summary>
    private NativeOutcome Report(ChannelEnd end, TrafficTotals totals)
    {
        string traffic = $"{totals.Sent} bytes sent, {totals.Received} received"
            + (totals.OfferedDtls ? $", of which {totals.DtlsSent} and {totals.DtlsReceived} over DTLS" : string.Empty);
        switch (end)
        {
            case ChannelEnd.Stopped:
                progress.WriteLine($"Disconnected ({traffic}).");
                return NativeOutcome.Stopped;
            case ChannelEnd.ServerDisconnected:
                progress.WriteLine($"The gateway ended the session ({traffic}): connect again (a new sign-in may be needed).");
                return NativeOutcome.Failed;
            default:
                progress.WriteLine($"{Why(end)} ({traffic}).");
                return NativeOutcome.Failed;
        }
    }

    private static string PinOf(byte[] der)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        return CertificatePins.Of(certificate);
    }

    private static string Why(ChannelEnd end) => end switch
    {
        ChannelEnd.ServerTerminated => "The gateway shut down",
        ChannelEnd.PeerDead => "The gateway stopped answering (no reply to dead-peer probes)",
        _ => "The connection to the gateway was lost",
    };

    /// <summary>
    /// What the sign-in and CONNECT left for the tunnel: the TLS link (which it owns), the lease,
    /// the host's path to the gateway when it was looked up meanwhile, the DTLS offer with its key
    /// (the master secret sent for it, or in PSK mode the PSK exported from the TLS connection), and
    /// the cookie a reconnect presents.
    /// </summary>
    private sealed record TunnelLink(Uri Uri, Socket Socket, OpenSslClientStream Tls, byte[] FirstFrames, TunnelLease Lease, IPAddress Gateway, Task<HostRoute?>? GatewayPath, DtlsConnectAnswer? Dtls, byte[] DtlsKey, string Cookie)
        : IDisposable
    {
        /// <summary>The host's route to <paramref name="destination"/>: for the gateway the one looked up while the link opened, if it was.</summary>
        public HostRoute? PathTo(IPAddress destination) =>
            GatewayPath is { } known && destination.Equals(Gateway) ? known.GetAwaiter().GetResult() : HostCommands.PathTo(destination);

        public void Dispose()
        {
            Tls.Dispose();
            Socket.Dispose();
        }
    }

    /// <summary>The traffic of the links that ended.</summary>
    private sealed class TrafficTotals
    {
        public long Sent { get; private set; }

        public long Received { get; private set; }

        public long DtlsSent { get; private set; }

        public long DtlsReceived { get; private set; }

        public bool OfferedDtls { get; private set; }

        public void Add(CstpChannel channel, DtlsChannel? dtls)
        {
            Sent += channel.BytesOut + (dtls?.BytesOut ?? 0);
            Received += channel.BytesIn + (dtls?.BytesIn ?? 0);
            DtlsSent += dtls?.BytesOut ?? 0;
            DtlsReceived += dtls?.BytesIn ?? 0;
            OfferedDtls |= dtls is not null;
        }
    }

    /// <summary>The gateway answered CONNECT with something other than 200; <see cref="CookieRefused"/> for 401 and 403.</summary>
    private sealed class TunnelRefusedException(string message, bool cookieRefused) : Exception(message)
    {
        public bool CookieRefused { get; } = cookieRefused;
    }
}
