using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// What sessions need of the data plane (the TUN device side): routing the session's addresses to
/// it, taking the packets its client sends, and sending at once what the kernel answered.
/// </summary>
public interface IDataPlane
{
    /// <summary>Routes packets for the session's leased addresses to its <see cref="SessionDataPath"/>.</summary>
    void Register(GatewaySession session);

    /// <summary>Stops routing to the session (only the addresses still its own).</summary>
    void Unregister(GatewaySession session);

    /// <summary>
    /// Takes one IP packet the session's client sent over <paramref name="transport"/>. The span is
    /// valid only during the call. The packet may be held, to be written with the next ones of its
    /// TCP flow, until the same thread calls <see cref="DrainNow"/>: a receive loop calls it before
    /// it waits for more. Over TLS the device's reader is not woken for the device's packets from
    /// the first such packet until that call (it reads them itself), so the call must follow. With
    /// a <paramref name="tcpWindowLimit"/> the data plane may first lower the receive window a TCP
    /// packet advertises to at most <see cref="TcpWindowLimit.Bytes"/>, in place
    /// (Network:TlsWindowClamp, Network:DtlsWindowClamp, by the transport), reading the limit only
    /// for an acknowledgement it lowers (never for a ping); null: as it is.
    /// </summary>
    void FromClient(GatewaySession session, Transport transport, Span<byte> packet, TcpWindowLimit? tcpWindowLimit = null);

    /// <summary>
    /// Writes the packets this thread holds (see <see cref="FromClient"/>), then sends what the
    /// device holds now on the caller's thread, unless another thread does already.
    /// </summary>
    void DrainNow();

    /// <summary>
    /// A receive loop (the DTLS one) reads the device from now on, instead of the data plane's own
    /// thread: it waits on the returned file descriptor together with its socket, and calls
    /// <see cref="ReadDevice"/> after each batch and whenever the device was readable. -1: the
    /// device has no file descriptor, and nothing changes.
    /// </summary>
    int AttachDeviceReader();

    /// <summary>For the loop that called <see cref="AttachDeviceReader"/>: <see cref="DrainNow"/>, but waits for another thread's drain rather than skipping it, and says what it left.</summary>
    DeviceRead ReadDevice();

    /// <summary>The attached loop ends: the data plane's own thread reads the device again.</summary>
    void DetachDeviceReader();
}
