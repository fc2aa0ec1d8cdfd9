using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using OpenTunnel.Platform.Linux.Crypto;

namespace OpenTunnel.Platform.Linux.Tls;

/// <summary>
/// A TLS client connection made with OpenSSL (libssl.so.3) itself, over a connected TCP socket.
/// .NET's <c>SslStream</c> runs on the same library but reads the whole system trust store (every
/// certificate of the bundle and of <c>/etc/ssl/certs</c>, about 90 ms) at its first certificate
/// check, even when the caller only compares the server's key with a pin; OpenSSL looks up only
/// the issuers a chain needs, and a pinned peer needs none. It also gives the TLS exporter
/// (RFC 5705), which <c>SslStream</c> has no API for.
/// <para>
/// The records pass through memory BIOs: .NET does the socket I/O (asynchronous, cancellable),
/// OpenSSL encrypts and decrypts. One read and one write may run at once, as with <c>SslStream</c>;
/// OpenSSL's calls on the connection take turns under a lock, the socket I/O runs outside it, and
/// whatever OpenSSL has to send goes out in the order it was written.
/// </para>
/// <para>
/// With <see cref="Coalescing"/> on, each write is still encrypted on its own (one TLS record when
/// it fits in one, as a tunnel's frame does), but the records wait for
/// <see cref="FlushAsync(CancellationToken)"/> (or a full buffer) and then leave in one send: a
/// tunnel's run of packets costs one system call instead of one per packet, and the peer still
/// finds one frame in each record, as ocserv and openconnect demand.
/// </para>
/// </summary>
public sealed partial class OpenSslClientStream : Stream
{
    private const string Ssl = OpenSsl.LibSsl;
    private const string Crypto = OpenSsl.LibCrypto;
    /// <summary>The size of each of the stream's two socket buffers unless <see cref="ConnectAsync(Socket, string, Func{ReadOnlyMemory{byte}, bool}?, int, CancellationToken)"/> is given another.</summary>
    public const int DefaultBufferSize = 64 * 1024;

    private const int SslErrorWantRead = 2;
    private const int SslErrorZeroReturn = 6;
    private const int SslVerifyNone = 0;
    private const int SslCtrlSetTlsExtHostName = 55;
    private const int SslCtrlSetMinProtoVersion = 123;
    private const int Tls12Version = 0x0303;

    private static readonly Lazy<nint> s_pinnedContext = new(() => CreateContext(systemTrust: false));
    private static readonly Lazy<nint> s_systemTrustContext = new(() => CreateContext(systemTrust: true));

    private readonly Socket _socket;

    /// <summary>Held for every OpenSSL call on <see cref="_ssl"/>, which is 0 once disposed.</summary>
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly byte[] _received;
    private readonly byte[] _toSend;
    private nint _ssl;
    private readonly nint _readBio;
    private readonly nint _writeBio;

    private OpenSslClientStream(Socket socket, string host, bool systemTrust, int bufferSize)
    {
        _socket = socket;
        // Only ever read where written: no need to clear them first.
        _received = GC.AllocateUninitializedArray<byte>(bufferSize);
        _toSend = GC.AllocateUninitializedArray<byte>(bufferSize);
        _ssl = SslNew(systemTrust ? s_systemTrustContext.Value : s_pinnedContext.Value);
        if (_ssl == 0)
        {
            throw new AuthenticationException("OpenSSL could not create a TLS connection: " + OpenSsl.LastError());
        }

        _readBio = BioNew(BioMemory());
        _writeBio = BioNew(BioMemory());
        if (_readBio == 0 || _writeBio == 0)
        {
            BioFree(_readBio);
            BioFree(_writeBio);
            Free();
            throw new AuthenticationException("OpenSSL could not create the connection's buffers: " + OpenSsl.LastError());
        }

        SslSetBio(_ssl, _readBio, _writeBio);
        SslSetConnectState(_ssl);
        bool isAddress = IPAddress.TryParse(host, out _);
        if (!isAddress)
        {
            // SNI names a host, never an address (RFC 6066 §3).
            SslCtrlString(_ssl, SslCtrlSetTlsExtHostName, 0, host);
        }

        if (systemTrust && (isAddress ? VerifyParamSetIp(SslGetParam(_ssl), host) : SslSetHost(_ssl, host)) != 1)
        {
            Free();
            throw new AuthenticationException($"OpenSSL cannot check a certificate for '{host}': {OpenSsl.LastError()}");
        }
    }

    /// <summary>
    /// Runs the TLS handshake with <paramref name="host"/> over <paramref name="socket"/> (connected;
    /// the stream neither owns nor closes it). With <paramref name="acceptPeer"/> the server's
    /// certificate, its DER encoding, is given to it and nothing else is checked (a pin, which
    /// CertificatePins.HashOf reads from the encoding without loading the certificate); without it, the system's
    /// trust store and <paramref name="host"/> decide, as for any HTTPS client.
    /// </summary>
    /// <exception cref="TlsCertificateException">The certificate was refused (the exception says why and carries it).</exception>
    /// <exception cref="AuthenticationException">The handshake failed otherwise (no common protocol or cipher, an alert).</exception>
    /// <exception cref="IOException">The connection broke or was closed during the handshake.</exception>
    public static Task<OpenSslClientStream> ConnectAsync(Socket socket, string host, Func<ReadOnlyMemory<byte>, bool>? acceptPeer, CancellationToken cancellationToken) =>
        ConnectAsync(socket, host, acceptPeer, DefaultBufferSize, cancellationToken);

    /// <summary>
    /// <see cref="ConnectAsync(Socket, string, Func{ReadOnlyMemory{byte}, bool}?, CancellationToken)"/> with socket buffers of
    /// <paramref name="bufferSize"/> bytes each (at least 1,024) instead of <see cref="DefaultBufferSize"/>: smaller for many
    /// connections that carry little (a load generator's thousands of sessions), at the cost of more
    /// system calls per megabyte.
    /// </summary>
    public static async Task<OpenSslClientStream> ConnectAsync(Socket socket, string host, Func<ReadOnlyMemory<byte>, bool>? acceptPeer, int bufferSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1024);
        var stream = new OpenSslClientStream(socket, host, systemTrust: acceptPeer is null, bufferSize);
        try
        {
            await stream.HandshakeAsync(cancellationToken);
            // OpenSSL checked the chain and the host during the handshake and kept the result
            // (the handshake goes on either way, so that the refusal can name the certificate).
            byte[] der = stream.PeerCertificate() ?? throw new TlsCertificateException("the server sent no certificate", null);
            string? refusal = acceptPeer is null ? stream.VerifyError() : acceptPeer(der) ? null : "its key is not the pinned one";
            if (refusal is not null)
            {
                throw new TlsCertificateException(refusal, der);
            }

            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads OpenSSL and makes the context a <see cref="ConnectAsync(Socket, string, Func{ReadOnlyMemory{byte}, bool}?, CancellationToken)"/> of that kind uses (once per
    /// process), which otherwise holds back the first handshake; called on another core early on,
    /// it is ready when the handshake starts.
    /// </summary>
    public static void Prepare(bool systemTrust) => _ = (systemTrust ? s_systemTrustContext : s_pinnedContext).Value;

    /// <summary>
    /// Writes encrypt their record and keep it until <see cref="FlushAsync(CancellationToken)"/>,
    /// or until <see cref="CoalescingLimit"/> bytes wait; off (every write sent before it returns)
    /// unless set.
    /// </summary>
    public bool Coalescing { get; set; }

    /// <summary>The bytes of records that make a write send them at once, flushed or not.</summary>
    public const int CoalescingLimit = DefaultBufferSize;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// <paramref name="length"/> bytes of keying material for <paramref name="label"/> without a
    /// context value (RFC 5705, RFC 8446 §7.5), as openconnect and ocserv export the DTLS PSK.
    /// Both ends derive the same bytes; nobody else can. Null when OpenSSL refuses.
    /// </summary>
    public byte[]? TryExportKeyingMaterial(string label, int length)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return OpenSslExporter.TryExport(_ssl, label, length);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            int read = Decrypt(buffer.Span, out bool needMore, out bool toSend);
            if (toSend)
            {
                // A TLS 1.3 key update or an alert that the read made OpenSSL answer.
                await SendPendingAsync(cancellationToken);
            }

            if (!needMore || !await ReceiveAsync(cancellationToken))
            {
                return read;
            }
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!buffer.IsEmpty && Encrypt(buffer.Span) is var pending && (!Coalescing || pending >= CoalescingLimit))
        {
            await SendPendingAsync(cancellationToken);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Blocks on <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>: the tunnel uses only the asynchronous methods.</summary>
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Blocks on <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>: the tunnel uses only the asynchronous methods.</summary>
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Blocks on <see cref="FlushAsync(CancellationToken)"/>: the tunnel uses only the asynchronous methods.</summary>
    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Sends the records that <see cref="Coalescing"/> kept back, in one send where the socket takes them.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) => SendPendingAsync(cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Sends close_notify when no write is on its way (without waiting for the socket), then frees the connection.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            bool sendable = _sending.Wait(0);
            lock (_gate)
            {
                if (_ssl != 0)
                {
                    if (sendable)
                    {
                        SendCloseNotify();
                    }

                    Free();
                }
            }

            if (sendable)
            {
                // A write that comes later finds the connection freed.
                _sending.Release();
            }
        }

        base.Dispose(disposing);
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int result;
            int error;
            string? failure = null;
            lock (_gate)
            {
                OpenSsl.ClearErrors();
                result = SslDoHandshake(_ssl);
                error = result == 1 ? 0 : SslGetError(_ssl, result);
                if (error is not (0 or SslErrorWantRead))
                {
                    failure = OpenSsl.LastError();
                }
            }

            try
            {
                // The ClientHello, the Finished, or the alert of a failure.
                await SendPendingAsync(cancellationToken);
            }
            catch (IOException) when (failure is not null)
            {
                // The failure below says more than a refused alert.
            }

            if (result == 1)
            {
                return;
            }

            if (failure is not null)
            {
                throw new AuthenticationException($"The TLS handshake failed: {failure}.");
            }

            if (!await ReceiveAsync(cancellationToken))
            {
                throw new IOException("The server closed the connection during the TLS handshake.");
            }
        }
    }

    /// <summary>Why OpenSSL's check of the chain and the host failed, or null when it passed.</summary>
    private string? VerifyError()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            long result = SslGetVerifyResult(_ssl);
            return result == 0 ? null : Marshal.PtrToStringUTF8(VerifyErrorString(result)) ?? $"verification error {result}";
        }
    }

    /// <summary>Decrypts into <paramref name="buffer"/>; 0 with <paramref name="needMore"/> when the socket must give more, 0 without it at the end.</summary>
    private unsafe int Decrypt(Span<byte> buffer, out bool needMore, out bool toSend)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            OpenSsl.ClearErrors();
            int read;
            fixed (byte* destination = buffer)
            {
                read = SslRead(_ssl, destination, buffer.Length);
            }

            // SSL_get_error reads this thread's error queue, which the SSL_read just left: first.
            int error = read > 0 ? 0 : SslGetError(_ssl, read);
            if (error is not (0 or SslErrorWantRead or SslErrorZeroReturn))
            {
                throw new IOException($"TLS read failed: {OpenSsl.LastError()}.");
            }

            toSend = BioPending(_writeBio) > 0;
            needMore = error == SslErrorWantRead;
            return Math.Max(read, 0);
        }
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into the records that wait to be sent; returns how many bytes wait now.</summary>
    private unsafe long Encrypt(ReadOnlySpan<byte> plaintext)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            OpenSsl.ClearErrors();
            int written;
            fixed (byte* source = plaintext)
            {
                // A memory BIO takes every record: the whole buffer is written at once.
                written = SslWrite(_ssl, source, plaintext.Length);
            }

            if (written != plaintext.Length)
            {
                throw new IOException($"TLS write failed: {OpenSsl.LastError()}.");
            }

            return (long)BioPending(_writeBio);
        }
    }

    /// <summary>Takes what the socket has for OpenSSL; false at its end.</summary>
    private async ValueTask<bool> ReceiveAsync(CancellationToken cancellationToken)
    {
        int received;
        try
        {
            received = await _socket.ReceiveAsync(_received, SocketFlags.None, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }

        if (received == 0)
        {
            return false;
        }

        lock (_gate)
        {
            ThrowIfDisposed();
            if (BioWrite(_readBio, _received, received) != received)
            {
                throw new IOException("OpenSSL did not take the bytes received.");
            }
        }

        return true;
    }

    /// <summary>Sends what OpenSSL has written, in order: one sender at a time takes it from the BIO and sends it.</summary>
    private async ValueTask SendPendingAsync(CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                int pending;
                lock (_gate)
                {
                    ThrowIfDisposed();
                    pending = BioRead(_writeBio, _toSend, _toSend.Length);
                }

                if (pending <= 0)
                {
                    return;
                }

                for (int sent = 0; sent < pending;)
                {
                    sent += await _socket.SendAsync(_toSend.AsMemory(sent, pending - sent), SocketFlags.None, cancellationToken);
                }
            }
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
        finally
        {
            _sending.Release();
        }
    }

    private void SendCloseNotify()
    {
        try
        {
            OpenSsl.ClearErrors();
            SslShutdown(_ssl);
            int pending = BioRead(_writeBio, _toSend, _toSend.Length);
            // A few dozen bytes: sent only when the socket takes them at once.
            if (pending > 0 && _socket.Poll(0, SelectMode.SelectWrite))
            {
                _socket.Send(_toSend, 0, pending, SocketFlags.None);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer learns of the end from the closed connection instead.
        }
    }

    /// <summary>The DER of the server's certificate, or null when it sent none.</summary>
    private unsafe byte[]? PeerCertificate()
    {
        nint x509;
        lock (_gate)
        {
            ThrowIfDisposed();
            x509 = SslGetPeerCertificate(_ssl);
        }

        if (x509 == 0)
        {
            return null;
        }

        try
        {
            int length = I2dX509(x509, null);
            if (length <= 0)
            {
                return null;
            }

            byte[] der = new byte[length];
            fixed (byte* start = der)
            {
                byte* cursor = start;
                I2dX509(x509, &cursor);
            }

            return der;
        }
        finally
        {
            X509Free(x509);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_ssl == 0, this);

    /// <summary>Frees the connection and with it both BIOs (under <see cref="_gate"/>, or before anyone else has the stream).</summary>
    private void Free()
    {
        SslFree(_ssl);
        _ssl = 0;
    }

    private static nint CreateContext(bool systemTrust)
    {
        nint context = SslCtxNew(TlsClientMethod());
        if (context == 0)
        {
            throw new AuthenticationException("OpenSSL could not create a TLS client context: " + OpenSsl.LastError());
        }

        SslCtxCtrl(context, SslCtrlSetMinProtoVersion, Tls12Version, 0);
        if (systemTrust)
        {
            // The system's bundle and hashed folder, as OpenSSL's own tools use them (SSL_CERT_FILE and SSL_CERT_DIR override).
            SslCtxSetDefaultVerifyPaths(context);
        }

        // Checked after the handshake (ConnectAsync), against the pin or OpenSSL's verify result.
        SslCtxSetVerify(context, SslVerifyNone, 0);
        return context;
    }

    [LibraryImport(Ssl, EntryPoint = "TLS_client_method")]
    private static partial nint TlsClientMethod();

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_new")]
    private static partial nint SslCtxNew(nint method);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_ctrl")]
    private static partial long SslCtxCtrl(nint context, int command, long larg, nint parg);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_default_verify_paths")]
    private static partial int SslCtxSetDefaultVerifyPaths(nint context);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_verify")]
    private static partial void SslCtxSetVerify(nint context, int mode, nint callback);

    [LibraryImport(Ssl, EntryPoint = "SSL_new")]
    private static partial nint SslNew(nint context);

    [LibraryImport(Ssl, EntryPoint = "SSL_free")]
    private static partial void SslFree(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_set_bio")]
    private static partial void SslSetBio(nint ssl, nint readBio, nint writeBio);

    [LibraryImport(Ssl, EntryPoint = "SSL_set_connect_state")]
    private static partial void SslSetConnectState(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_ctrl", StringMarshalling = StringMarshalling.Utf8)]
    private static partial long SslCtrlString(nint ssl, int command, long larg, string parg);

    [LibraryImport(Ssl, EntryPoint = "SSL_set1_host", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SslSetHost(nint ssl, string host);

    [LibraryImport(Ssl, EntryPoint = "SSL_get0_param")]
    private static partial nint SslGetParam(nint ssl);

    [LibraryImport(Crypto, EntryPoint = "X509_VERIFY_PARAM_set1_ip_asc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int VerifyParamSetIp(nint param, string address);

    [LibraryImport(Ssl, EntryPoint = "SSL_do_handshake")]
    private static partial int SslDoHandshake(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_get_error")]
    private static partial int SslGetError(nint ssl, int result);

    [LibraryImport(Ssl, EntryPoint = "SSL_get_verify_result")]
    private static partial long SslGetVerifyResult(nint ssl);

    [LibraryImport(Crypto, EntryPoint = "X509_verify_cert_error_string")]
    private static partial nint VerifyErrorString(long error);

    [LibraryImport(Ssl, EntryPoint = "SSL_get1_peer_certificate")]
    private static partial nint SslGetPeerCertificate(nint ssl);

    [LibraryImport(Crypto, EntryPoint = "i2d_X509")]
    private static unsafe partial int I2dX509(nint x509, byte** output);

    [LibraryImport(Crypto, EntryPoint = "X509_free")]
    private static partial void X509Free(nint x509);

    [LibraryImport(Ssl, EntryPoint = "SSL_read")]
    private static unsafe partial int SslRead(nint ssl, byte* buffer, int count);

    [LibraryImport(Ssl, EntryPoint = "SSL_write")]
    private static unsafe partial int SslWrite(nint ssl, byte* buffer, int count);

    [LibraryImport(Ssl, EntryPoint = "SSL_shutdown")]
    private static partial int SslShutdown(nint ssl);

    [LibraryImport(Crypto, EntryPoint = "BIO_s_mem")]
    private static partial nint BioMemory();

    [LibraryImport(Crypto, EntryPoint = "BIO_new")]
    private static partial nint BioNew(nint method);

    [LibraryImport(Crypto, EntryPoint = "BIO_free")]
    private static partial int BioFree(nint bio);

    [LibraryImport(Crypto, EntryPoint = "BIO_read")]
    private static partial int BioRead(nint bio, [Out] byte[] buffer, int count);

    [LibraryImport(Crypto, EntryPoint = "BIO_write")]
    private static partial int BioWrite(nint bio, byte[] buffer, int count);

    [LibraryImport(Crypto, EntryPoint = "BIO_ctrl_pending")]
    private static partial nuint BioPending(nint bio);
}
