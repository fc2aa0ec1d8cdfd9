namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// Decides whether a session's outbound packets go over DTLS or TLS, the way ocserv does
/// (worker-vpn.c): DTLS once a handshake completed; TLS again as soon as the client sends data
/// over TLS while DTLS is up (openconnect does that when it declared DTLS dead) or when the DTLS
/// channel closed; DTLS again as soon as data arrives over DTLS. Each method returns true when
/// the choice may have changed, so the caller re-points the session's data channel only then.
/// Called from several threads; every transition is one volatile write.
/// </summary>
internal sealed class DataPathSelector
{
    private volatile IDtlsChannel? _dtls;
    private volatile bool _clientOnTls;

    /// <summary>The DTLS channel packets should take, or null for TLS.</summary>
    public IDtlsChannel? Preferred => _dtls is { IsOpen: true } dtls && !_clientOnTls ? dtls : null;

    /// <summary>The established DTLS channel, whether or not it is the preferred path now.</summary>
    public IDtlsChannel? Channel => _dtls;

    public bool DtlsEstablished(IDtlsChannel channel)
    {
        _dtls = channel;
        _clientOnTls = false;
        return true;
    }

    /// <summary>The channel is gone; false when it had already been replaced by a newer one.</summary>
    public bool DtlsClosed(IDtlsChannel channel)
    {
        if (!ReferenceEquals(_dtls, channel))
        {
            return false;
        }

        _dtls = null;
        return true;
    }

    /// <summary>A data packet came over TLS: the client moved to TLS, if it was on DTLS.</summary>
    public bool TlsDataArrived()
    {
        if (_clientOnTls || _dtls is null)
        {
            return false;
        }

        _clientOnTls = true;
        return true;
    }

    /// <summary>A data packet came over DTLS: the client is (back) on DTLS.</summary>
    public bool DtlsDataArrived()
    {
        if (!_clientOnTls)
        {
            return false;
        }

        _clientOnTls = false;
        return true;
    }
}
