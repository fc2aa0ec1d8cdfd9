using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Dtls;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// The gateway's DTLS side: the UDP listener on the TLS port number, the index from DTLS session
/// id to session, the DTLS headers of a CONNECT answer, and the DTLS metrics. Exists only while
/// <c>Udp:Enabled</c> is true.
/// </summary>
public sealed class GatewayDtls : IDtlsSessionDirectory, IDisposable
{
    private readonly ConcurrentDictionary<DtlsSessionId, DtlsSessionBinding> _bindings = new();
    private readonly Func<GatewaySession, string, Task> _endSession;
    private readonly DtlsOptions _options;

    private GatewayDtls(DtlsOptions options, int dpdSeconds, IDataPlane dataPlane, PacketCounters counters, TimeProvider time, ILoggerFactory loggers, Func<GatewaySession, string, Task> endSession)
    {
        DataPlane = dataPlane;
        Counters = counters;
        Time = time;
        Logger = loggers.CreateLogger("OpenTunnel.Gateway.Dtls");
        _endSession = endSession;
        _options = options;
        Listener = new DtlsListener(options, dpdSeconds, this, counters, loggers.CreateLogger<DtlsListener>());
    }

    public DtlsListener Listener { get; }

    internal IDataPlane DataPlane { get; }

    internal PacketCounters Counters { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    /// <summary>
    /// Binds UDP on <paramref name="endPoint"/> (the TLS listener's address and port) and starts
    /// the listener. <paramref name="endSession"/> ends a session whose client sent DISCONNECT over DTLS.
    /// </summary>
    /// <exception cref="System.Net.Sockets.SocketException">The UDP port is taken.</exception>
    public static GatewayDtls Start(DtlsOptions options, int dpdSeconds, IPEndPoint endPoint, IDataPlane dataPlane, PacketCounters counters, TimeProvider time, ILoggerFactory loggers, Func<GatewaySession, string, Task> endSession)
    {
        var dtls = new GatewayDtls(options, dpdSeconds, dataPlane, counters, time, loggers, endSession);
        try
        {
            dtls.Listener.Start(endPoint);
            return dtls;
        }
        catch
        {
            dtls.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The DTLS headers of the CONNECT answer for <paramref name="session"/> (<see cref="DtlsConnectHeaders"/>),
    /// or none when the client sent no master secret or offered no suite the gateway runs (it then
    /// uses TLS only). Makes the session's <see cref="DtlsSessionBinding"/> at its first offer.
    /// <paramref name="roundTripMicroseconds"/> reads the least round trip of the CONNECT's TLS
    /// connection, by which the windows of the session's TCP flows over DTLS are limited: the TLS
    /// connection carries little while DTLS is up, so its smoothed round trip still holds the
    /// sign-in's delays, where the least one is the path's.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Offer(GatewaySession session, ConnectRequest request, TunnelParameters parameters, Func<int?> roundTripMicroseconds)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(roundTripMicroseconds);
        if (request.DtlsMasterSecret is null)
        {
            DtlsLog.NotOffered(Logger, session.Id, "the client sent no X-DTLS-Master-Secret");
            return [];
        }

        var suite = DtlsCipherSuite.Select(request.DtlsCipherSuites, request.Dtls12CipherSuites);
        if (suite is null)
        {
            DtlsLog.NotOffered(Logger, session.Id, $"no usable suite in X-DTLS-CipherSuite '{request.DtlsCipherSuites}' or X-DTLS12-CipherSuite '{request.Dtls12CipherSuites}'");
            return [];
        }

        byte[] secret = Convert.FromHexString(request.DtlsMasterSecret);
        var binding = session.DataPath.OfferDtls(secret, suite, roundTripMicroseconds, () => new DtlsSessionBinding(session, this, secret, suite, roundTripMicroseconds), out bool created);
        if (created)
        {
            _bindings[binding.DtlsSessionId] = binding;
            if (session.Ended)
            {
                // Ended while the binding was being made: its End found nothing to forget yet.
                Forget(binding);
            }
        }

        return DtlsConnectHeaders.Build(binding.DtlsSessionId, _options.ClientPort(Listener.LocalEndPoint.Port), suite, parameters);
    }

    /// <summary>The receive loop reads the TUN device, instead of a thread of its own (<see cref="IDataPlane.AttachDeviceReader"/>).</summary>
    public int AttachDeviceReader() => DataPlane.AttachDeviceReader();

    /// <summary>Answers the kernel made to the batch's packets, and what else the device holds, leave on this thread.</summary>
    public DeviceRead ServeDevice() => DataPlane.ReadDevice();

    public void DetachDeviceReader() => DataPlane.DetachDeviceReader();

    /// <summary>A session accepts DTLS while it lives and has a TLS connection (ocserv's worker owns both).</summary>
    public bool TryFind(DtlsSessionId sessionId, [NotNullWhen(true)] out IDtlsSession? session)
    {
        if (_bindings.TryGetValue(sessionId, out var binding) && !binding.Session.Ended && binding.Session.Connection is not null)
        {
            session = binding;
            return true;
        }

        session = null;
        return false;
    }

    public void Dispose()
    {
        Listener.Dispose();
    }

    internal void Forget(DtlsSessionBinding binding) =>
        _bindings.TryRemove(new KeyValuePair<DtlsSessionId, DtlsSessionBinding>(binding.DtlsSessionId, binding));

    internal void EndSession(GatewaySession session, string reason) => _ = _endSession(session, reason);
}
