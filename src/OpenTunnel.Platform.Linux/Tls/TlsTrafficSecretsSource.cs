using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using OpenTunnel.Platform.Linux.Crypto;

namespace OpenTunnel.Platform.Linux.Tls;

/// <summary>
/// The application traffic secrets of the TLS 1.3 connections .NET's <see cref="SslStream"/>
/// makes, so that a connection's records can be protected without OpenSSL once its handshake is
/// done. OpenSSL hands a connection's secrets only to the key-log callback of its <c>SSL_CTX</c>
/// (<c>SSL_CTX_set_keylog_callback</c>), as they are derived during the handshake; .NET keeps one
/// <c>SSL_CTX</c> per server certificate for all connections, so <see cref="Watch"/> installs the
/// callback on it after a handshake, and every later handshake with that certificate hands its
/// secrets over (the first one's came too early). The secrets wait here, by the connection's
/// <c>SSL*</c> and client random, until <see cref="Take"/> or <see cref="Forget"/>; should
/// entries of connections that never got that far pile up (more than 1,024 waiting), those older
/// than a minute are dropped.
/// </summary>
public static unsafe partial class TlsTrafficSecretsSource
{
    private const int Tls13Version = 0x0304;
    private const int ClientRandomLength = 32;
    private const int SweepAbove = 1024;
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    private static readonly ConcurrentDictionary<nint, Entry> s_entries = new();

    /// <summary>
    /// Has the <c>SSL_CTX</c> of <paramref name="stream"/>'s connection (handshake done) hand the
    /// secrets of its later handshakes to this class. False when the connection's handle is not
    /// found, or the context logs its keys elsewhere already (.NET's own <c>SSLKEYLOGFILE</c>).
    /// </summary>
    public static bool Watch(SslStream stream)
    {
        delegate* unmanaged<nint, byte*, void> callback = &OnKeyLog;
        return SslStreamHandle.TryCall(stream, ssl =>
        {
            nint context = SslGetSslCtx(ssl);
            nint current = SslCtxGetKeylogCallback(context);
            if (current == 0)
            {
                SslCtxSetKeylogCallback(context, (nint)callback);
                return true;
            }

            return current == (nint)callback;
        }, out bool watched) && watched;
    }

    /// <summary>
    /// The secrets of <paramref name="stream"/>'s connection, taken out of the store: null unless
    /// it negotiated TLS 1.3 and its handshake ran while its context was watched.
    /// </summary>
    public static TlsTrafficSecrets? Take(SslStream stream)
    {
        if (!SslStreamHandle.TryCall(stream, ssl => (Ssl: ssl, Version: SslVersion(ssl), Suite: CipherSuiteOf(ssl), Random: ClientRandomOf(ssl)), out var connection)
            || !s_entries.TryRemove(connection.Ssl, out var entry))
        {
            return null;
        }

        try
        {
            return connection.Version == Tls13Version && entry.ClientSecret is { } client && entry.ServerSecret is { } server
                && entry.ClientRandom.AsSpan().SequenceEqual(connection.Random)
                ? new TlsTrafficSecrets(connection.Suite, client.ToArray(), server.ToArray())
                : null;
        }
        finally
        {
            entry.Clear();
        }
    }

    /// <summary>Drops what is kept for <paramref name="stream"/>'s connection (call before disposing it).</summary>
    public static void Forget(SslStream stream)
    {
        if (SslStreamHandle.TryCall(stream, ssl => ssl, out nint ssl) && s_entries.TryRemove(ssl, out var entry))
        {
            entry.Clear();
        }
    }

    /// <summary>OpenSSL's key-log callback: one NSS key-log line (label, client random, secret in hex) per secret.</summary>
    [UnmanagedCallersOnly]
    private static void OnKeyLog(nint ssl, byte* line)
    {
        try
        {
            Record(ssl, Marshal.PtrToStringUTF8((nint)line) ?? string.Empty);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            // A line this class does not read: the connection keeps OpenSSL's record layer.
        }
    }

    private static void Record(nint ssl, string line)
    {
        string[] parts = line.Split(' ');
        bool client = parts[0] == "CLIENT_TRAFFIC_SECRET_0";
        if (parts.Length != 3 || (!client && parts[0] != "SERVER_TRAFFIC_SECRET_0"))
        {
            return;
        }

        byte[] random = Convert.FromHexString(parts[1]);
        byte[] secret = Convert.FromHexString(parts[2]);
        long now = Stopwatch.GetTimestamp();
        var entry = s_entries.AddOrUpdate(ssl, _ => new Entry(random, now), (_, old) => old.ClientRandom.AsSpan().SequenceEqual(random) ? old : new Entry(random, now));
        if (client)
        {
            entry.ClientSecret = secret;
        }
        else
        {
            entry.ServerSecret = secret;
        }

        if (s_entries.Count > SweepAbove)
        {
            Sweep(now);
        }
    }

    private static void Sweep(long now)
    {
        foreach (var (ssl, entry) in s_entries)
        {
            if (Stopwatch.GetElapsedTime(entry.Created, now) > MaxAge && s_entries.TryRemove(new KeyValuePair<nint, Entry>(ssl, entry)))
            {
                entry.Clear();
            }
        }
    }

    private static ushort CipherSuiteOf(nint ssl)
    {
        nint cipher = SslGetCurrentCipher(ssl);
        return cipher == 0 ? (ushort)0 : SslCipherGetProtocolId(cipher);
    }

    private static byte[] ClientRandomOf(nint ssl)
    {
        byte[] random = new byte[ClientRandomLength];
        fixed (byte* r = random)
        {
            return SslGetClientRandom(ssl, r, (nuint)random.Length) == (nuint)random.Length ? random : [];
        }
    }

    [LibraryImport(OpenSsl.LibSsl, EntryPoint = "SSL_get_SSL_CTX")]
    private static partial nint SslGetSslCtx(nint ssl);

    [LibraryImport(OpenSsl.LibSsl, EntryPoint = "SSL_CTX_get_keylog_callback")]
    private static partial nint SslCtxGetKeylogCallback(nint context);

    [LibraryImport(OpenSsl.LibSsl, EntryPoint = "SSL_CTX_set_keylog_callback")]
    private static partial void SslCtxSetKeylogCallback(nint context, nint callback);

    [LibraryImport(OpenSsl.LibSsl, EntryPoint = "SSL_version")]
    private static partial int SslVersion(nint ssl);

    [LibraryImport(OpenSsl.LibSsl, EntryPoint = "SSL_get_current_cipher")]
    private static partial nint SslGetCurrentCipher(nint ssl);

    [LibraryImport(OpenSsl.LibSsl, EntryPoint = "SSL_CIPHER_get_protocol_id")]
    private static partial ushort SslCipherGetProtocolId(nint cipher);

    [LibraryImport(OpenSsl.LibSsl, EntryPoint = "SSL_get_client_random")]
    private static partial nuint SslGetClientRandom(nint ssl, byte* output, nuint length);

    private sealed class Entry(byte[] clientRandom, long created)
    {
        public byte[] ClientRandom { get; } = clientRandom;

        public long Created { get; } = created;

        public byte[]? ClientSecret { get; set; }

        public byte[]? ServerSecret { get; set; }

        public void Clear()
        {
            CryptographicOperations.ZeroMemory(ClientSecret);
            CryptographicOperations.ZeroMemory(ServerSecret);
        }
    }
}
