using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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
    /// <summary>The kernel numbers the devices: opentun0, opentun1...</summary>
    public const string TunDeviceName = "opentun%d";

    /// <summary>How often <c>tunnel.json</c> gets the byte counts (a change of channel is written within a second).</summary>
    public static readonly TimeSpan StateInterval = TimeSpan.FromSeconds(10);

    /// <summary>At most this many redirects of one sign-in are followed (a gateway redirects a new sign-in once; its peer never again).</summary>
    public const int MaxRedirects = 3;

    public async Task<NativeOutcome> RunAsync(NativeConnectRequest request, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Repair())
        {
            return NativeOutcome.AlreadyRunning;
        }

        // The gateway may send the sign-in to another server of its site (load-aware sign-in);
        // the tunnel then runs there, as openconnect does it.
        Uri gateway = request.Gateway;
        string path = "/";
        for (int hop = 0; ; hop++)
        {
            IPAddress gatewayAddress;
            Socket socket;
            SslStream tls;
            try
            {
                progress.WriteLine($"Connecting to {gateway.Authority}…");
                (gatewayAddress, socket, tls) = await OpenAsync(gateway, request.ServerCertificatePin, stop);
            }
            catch (Exception e) when (e is SocketException or AuthenticationException or IOException)
            {
                progress.WriteLine($"Cannot reach the gateway {gateway.Authority}: {e.Message}. Check the URL and that this machine reaches it (TCP port {gateway.Port}).");
                return NativeOutcome.Failed;
            }

            using (socket)
            await using (tls)
            {
                var exchange = new HttpExchange(tls);
                TunnelLease lease;
                DtlsConnectAnswer? dtls;
                byte[] firstFrames;
                // X-DTLS-Master-Secret: the DTLS session's master secret, chosen by the client (openconnect dtls.c).
                byte[] masterSecret = RandomNumberGenerator.GetBytes(48);
                try
                {
                    string cookie = await ClientSignIn.SignInAsync(exchange, gateway.Host, gateway.Port, request.Credentials, stop, path);
                    progress.WriteLine("Signed in; opening the tunnel…");
                    var options = new ClientConnectOptions
                    {
                        Hostname = Dns.GetHostName(),
                        DtlsMasterSecret = Convert.ToHexString(masterSecret),
                        DtlsCipherSuites = DtlsCipherSuite.Offer(cisco: false),
                        Dtls12CipherSuites = DtlsCipherSuite.Offer(cisco: true),
                    };
                    var head = await exchange.SendConnectAsync(ClientSignIn.ConnectRequest(gateway.Host, cookie, options), stop);
                    if (head.StatusCode != 200 || !head.StatusLine.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal))
                    {
                        progress.WriteLine($"The gateway refused the tunnel: {head.StatusLine}{ClientSignIn.Reason(head)}.");
                        return head.StatusCode is 401 or 403 ? NativeOutcome.Refused : NativeOutcome.Failed;
                    }

                    lease = TunnelLease.FromConnectResponse(head);
                    dtls = DtlsConnectAnswer.FromConnectResponse(head);
                    firstFrames = exchange.TakeBuffered();
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
                catch (FormatException e)
                {
                    progress.WriteLine($"The gateway answered something this client cannot read: {e.Message}");
                    return NativeOutcome.Failed;
                }
                catch (IOException e)
                {
                    progress.WriteLine($"The connection to the gateway broke during the sign-in: {e.Message}");
                    return NativeOutcome.Failed;
                }

                var link = new TunnelLink(tls, firstFrames, lease, gatewayAddress, dtls, masterSecret);
                return await RunTunnelAsync(link, stop);
            }
        }
    }

    /// <summary>
    /// Undoes what an earlier run that did not end cleanly left. False when that run is still
    /// alive: two tunnels would fight over the routes and resolv.conf.
    /// </summary>
    private bool Repair()
    {
        TunnelState? left = stateFile.Load();
        if (left is null)
        {
            return true;
        }

        if (left.ProcessId != Environment.ProcessId && Directory.Exists($"/proc/{left.ProcessId}"))
        {
            progress.WriteLine($"Another 'opentunnel connect' (PID {left.ProcessId}, to {left.Gateway}) is running: stop it first (kill {left.ProcessId}).");
            return false;
        }

        TunnelStateFile.Undo(left);
        stateFile.Delete();
        progress.WriteLine($"Repaired what an earlier connect (PID {left.ProcessId}) left: {(left.ResolvConfPath is null ? string.Empty : left.ResolvConfPath + " restored, ")}{left.OutsideRoutes.Count} route(s) removed.");
        return true;
    }

    private static async Task<(IPAddress Address, Socket Socket, SslStream Tls)> OpenAsync(Uri gateway, string? pin, CancellationToken stop)
    {
        string host = gateway.IdnHost.Trim('[', ']');
        IPAddress address = IPAddress.TryParse(host, out var literal)
            ? literal
            : (await Dns.GetHostAddressesAsync(host, stop))[0];
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, gateway.Port), stop);
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = host,
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors, pin),
                },
                stop);
            return (address, socket, tls);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>With --servercert the certificate's key must have that pin (openconnect's --servercert); without it, the system's trust store decides.</summary>
    private static bool Trusted(X509Certificate? certificate, SslPolicyErrors errors, string? pin)
    {
        if (pin is null)
        {
            return errors == SslPolicyErrors.None;
        }

        if (certificate is null)
        {
            return false;
        }

        using var x509 = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return CertificatePins.Of(x509) == pin;
    }

    private async Task<NativeOutcome> RunTunnelAsync(TunnelLink link, CancellationToken stop)
    {
        TunDevice tun;
        try
        {
            tun = TunDevice.Create(TunDeviceName);
        }
        catch (TunDeviceException e)
        {
            progress.WriteLine(e.Message);
            return NativeOutcome.HostNotReady;
        }

        using (tun)
        {
            return await RunOnDeviceAsync(tun, link, stop);
        }
    }

    private async Task<NativeOutcome> RunOnDeviceAsync(TunDevice tun, TunnelLink link, CancellationToken stop)
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
        using var channel = new CstpChannel(link.Tls, link.FirstFrames, TimeSpan.FromSeconds(lease.DpdSeconds), TimeSpan.FromSeconds(lease.KeepaliveSeconds), time);
        using var dtls = link.Dtls is { } answer
            ? new DtlsChannel(new IPEndPoint(link.Gateway, answer.Port), answer, link.MasterSecret, TextWriter.Synchronized(progress), time)
            : null;
        try
        {
            try
            {
                state = Configure(tun, lease, link.Gateway, state);
            }
            catch (Exception e) when (e is HostCommandException or TunDeviceException)
            {
                progress.WriteLine($"The tunnel is up but this machine could not be configured for it: {e.Message}");
                return NativeOutcome.HostNotReady;
            }

            progress.WriteLine($"Connected to {link.Gateway}: {string.Join(", ", lease.Addresses)} on {tun.Name}, MTU {lease.Mtu}, over TLS{(dtls is null ? " (the gateway offers no DTLS)" : "; DTLS is being set up")}.");
            if (lease.Banner is not null)
            {
                progress.WriteLine(lease.Banner);
            }

            using var stopReading = new CancellationTokenSource();
            var reader = new Thread(() => ReadTun(tun, channel, dtls, stopReading.Token)) { IsBackground = true, Name = "tun reader" };
            reader.Start();
            Thread? udp = null;
            if (dtls is not null)
            {
                // In the background: traffic flows over TLS meanwhile, and UDP that never works costs nothing.
                udp = new Thread(() => dtls.Run(packet => tun.Write(packet), stopReading.Token)) { IsBackground = true, Name = "dtls" };
                udp.Start();
            }

            Task recording = RecordAsync(state with { ChannelSince = state.Since }, channel, dtls, stopReading.Token);
            ChannelEnd end = await channel.RunAsync(packet => tun.Write(packet.Span), stop);
            await stopReading.CancelAsync();
            await recording;
            dtls?.Dispose();
            reader.Join(TimeSpan.FromSeconds(2));
            udp?.Join(TimeSpan.FromSeconds(2));
            return await EndAsync(end, channel, dtls);
        }
        finally
        {
            TunnelStateFile.Undo(state);
            stateFile.Delete();
        }
    }

    private TunnelState Configure(TunDevice tun, TunnelLease lease, IPAddress gateway, TunnelState state)
    {
        // Computed before any tunnel route exists: the paths the gateway and the excludes have now.
        var routes = RoutePlan.For(lease, tun.Name, gateway, HostCommands.PathTo);
        var outside = routes.Where(r => r.Device != tun.Name).ToList();
        bool resolved = HostCommands.ResolvedRuns;
        state = state with { OutsideRoutes = [.. outside.Select(r => r.Arguments("del"))] };
        if (!resolved && lease.DnsServers.Count > 0)
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
        if (lease.IPv6Address is not null)
        {
            // nodad: the address is the gateway's lease, unique by construction; DAD would hold it back for a second.
            HostCommands.Ip(["-6", "addr", "add", $"{lease.IPv6Address}/{lease.IPv6PrefixLength}", "dev", tun.Name, "nodad"]);
        }

        foreach (var route in routes)
        {
            HostCommands.Ip(route.Arguments("replace"));
        }

        if (lease.DnsServers.Count > 0)
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
    /// Keeps the channel and the byte counts in <c>tunnel.json</c> for <c>opentunnel status</c>:
    /// a change of channel within a second, the counts every <see cref="StateInterval"/>.
    /// </summary>
    private async Task RecordAsync(TunnelState state, CstpChannel channel, DtlsChannel? dtls, CancellationToken stop)
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
                    BytesSent = channel.BytesOut + (dtls?.BytesOut ?? 0),
                    BytesReceived = channel.BytesIn + (dtls?.BytesIn ?? 0),
                    UpdatedAt = now,
                };
                stateFile.Save(state);
                saved = now;
            }
        }
        catch (OperationCanceledException)
        {
            // The tunnel ends; the state file is deleted next.
        }
        catch (IOException e)
        {
            progress.WriteLine($"{stateFile.Path} cannot be written any more ({e.Message}); opentunnel status shows the tunnel as it was then.");
        }
    }

    /// <summary>
    /// Packets the host routes into the TUN device go to the gateway: over DTLS while it carries
    /// them, else one CSTP frame each (read after the room kept for the frame header, so neither
    /// path allocates).
    /// </summary>
    private static void ReadTun(TunDevice tun, CstpChannel channel, DtlsChannel? dtls, CancellationToken stop)
    {
        byte[] frame = new byte[CstpFrame.HeaderLength + CstpFrame.MaxPayloadLength];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (!tun.WaitForPacket(200))
                {
                    continue;
                }

                int length;
                while ((length = tun.TryRead(frame.AsSpan(CstpFrame.HeaderLength))) > 0)
                {
                    if (dtls is null || !dtls.TrySendPacket(frame.AsSpan(CstpFrame.HeaderLength, length)))
                    {
                        channel.SendPacketAsync(frame, length, stop).AsTask().GetAwaiter().GetResult();
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or TunDeviceException)
        {
            // The channel or the device is gone; the channel's own loop reports why.
        }
    }

    private async Task<NativeOutcome> EndAsync(ChannelEnd end, CstpChannel channel, DtlsChannel? dtls)
    {
        string traffic = $"{channel.BytesOut + (dtls?.BytesOut ?? 0)} bytes sent, {channel.BytesIn + (dtls?.BytesIn ?? 0)} received"
            + (dtls is null ? string.Empty : $", of which {dtls.BytesOut} and {dtls.BytesIn} over DTLS");
        switch (end)
        {
            case ChannelEnd.Stopped:
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await channel.DisconnectAsync(timeout.Token);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    progress.WriteLine($"The gateway could not be told ({e.Message}); it ends the session on its own.");
                }

                progress.WriteLine($"Disconnected ({traffic}).");
                return NativeOutcome.Stopped;
            case ChannelEnd.ServerDisconnected:
                progress.WriteLine($"The gateway ended the session ({traffic}): connect again (a new sign-in may be needed).");
                return NativeOutcome.Failed;
            case ChannelEnd.ServerTerminated:
                progress.WriteLine($"The gateway shut down ({traffic}): connect again when it is back.");
                return NativeOutcome.Failed;
            case ChannelEnd.PeerDead:
                progress.WriteLine($"The gateway stopped answering (no reply to dead-peer probes; {traffic}): check the network and connect again.");
                return NativeOutcome.Failed;
            default:
                progress.WriteLine($"The connection to the gateway was lost ({traffic}): check the network and connect again.");
                return NativeOutcome.Failed;
        }
    }

    /// <summary>What the sign-in and CONNECT left for the tunnel: the TLS link, the lease, and the DTLS offer with the master secret sent for it.</summary>
    private sealed record TunnelLink(SslStream Tls, byte[] FirstFrames, TunnelLease Lease, IPAddress Gateway, DtlsConnectAnswer? Dtls, byte[] MasterSecret);
}
