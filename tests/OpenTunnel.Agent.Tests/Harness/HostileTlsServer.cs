using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace OpenTunnel.Agent.Tests.Harness;

/// <summary>
/// A TLS server on 127.0.0.1 that presents exactly the certificate chain it is given, in that
/// order, as an attacker on the path would: for example a self-signed leaf followed by the real
/// agent CA (.NET's own TLS server would leave out a root it cannot chain to; BouncyCastle sends
/// what it is told). Behind it a minimal HTTP/1.1 server records every request it decrypts (so a
/// test sees whether the enrolment token reached it) and answers with <see cref="Handler"/>, or
/// 503 when that gives nothing. One request per connection.
/// </summary>
public sealed class HostileTlsServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly BcTlsCrypto _crypto = new(new SecureRandom());
    private readonly Certificate _chain;
    private readonly Org.BouncyCastle.Crypto.AsymmetricKeyParameter _key;
    private readonly Thread _accepting;
    private volatile bool _stopped;

    /// <param name="chain">The leaf first, then whatever else to send.</param>
    /// <param name="leafKey">The leaf's private key (the server proves it holds it).</param>
    public HostileTlsServer(IReadOnlyList<X509Certificate2> chain, ECDsa leafKey)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(leafKey);
        _chain = new Certificate([.. chain.Select(c => new BcTlsCertificate(_crypto, c.RawData))]);
        _key = PrivateKeyFactory.CreateKey(leafKey.ExportPkcs8PrivateKey());
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = new Thread(Accept) { IsBackground = true, Name = "hostile TLS server" };
        _accepting.Start();
    }

    public string Url => string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Answers a request (method, path, body) with (status, content type, body), or null for 503.</summary>
    public Func<string, string, string, (int Status, string ContentType, string Body)?> Handler { get; set; } = (_, _, _) => null;

    /// <summary>Every request that arrived over a completed handshake: "METHOD PATH" and the body.</summary>
    public ConcurrentQueue<(string Request, string Body)> Requests { get; } = new();

    /// <summary>Exceptions of <see cref="Handler"/> (they end the connection).</summary>
    public ConcurrentQueue<Exception> Failures { get; } = new();

    /// <summary>Whether any request's line or body contains <paramref name="text"/>.</summary>
    public bool Received(string text) => Requests.Any(r => r.Request.Contains(text, StringComparison.Ordinal) || r.Body.Contains(text, StringComparison.Ordinal));

    public void Dispose()
    {
        _stopped = true;
        _listener.Stop();
        _accepting.Join(TimeSpan.FromSeconds(5));
    }

    private void Accept()
    {
        while (!_stopped)
        {
            TcpClient client;
            try
            {
                client = _listener.AcceptTcpClient();
            }
            catch (SocketException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            new Thread(() => Serve(client)) { IsBackground = true, Name = "hostile TLS connection" }.Start();
        }
    }

    private void Serve(TcpClient client)
    {
        using (client)
        {
            client.ReceiveTimeout = 10_000;
            client.SendTimeout = 10_000;
            var protocol = new TlsServerProtocol(client.GetStream());
            try
            {
                protocol.Accept(new ChainServer(_crypto, _chain, _key));
                (string line, string body) = ReadRequest(protocol.Stream);
                Requests.Enqueue((line, body));
                string[] parts = line.Split(' ');
                (int Status, string ContentType, string Body) answer = Handler(parts[0], parts.Length > 1 ? parts[1] : "/", body)
                    ?? (503, "text/plain", "hostile server");
                byte[] content = Encoding.UTF8.GetBytes(answer.Body);
                string head = string.Create(CultureInfo.InvariantCulture,
                    $"HTTP/1.1 {answer.Status} X\r\nContent-Type: {answer.ContentType}\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n");
                protocol.Stream.Write(Encoding.ASCII.GetBytes(head));
                protocol.Stream.Write(content);
                protocol.Stream.Flush();
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // The client refused the certificate or went away: nothing was decrypted.
            }
#pragma warning disable CA1031 // A handler's failure must not end the test host; it is recorded.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Failures.Enqueue(e);
            }
            finally
            {
                try
                {
                    protocol.Close();
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>The request line and the body (by Content-Length, or chunked) of one HTTP/1.1 request.</summary>
    private static (string Line, string Body) ReadRequest(Stream stream)
    {
        string[] lines = ReadHead(stream).Split("\r\n");
        int length = 0;
        bool chunked = false;
        foreach (string header in lines.Skip(1))
        {
            if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(header["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
            else if (header.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && header.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                chunked = true;
            }
        }

        using var body = new MemoryStream();
        if (!chunked)
        {
            ReadExactly(stream, body, length);
        }
        else
        {
            while (true)
            {
                string size = ReadLine(stream).Split(';')[0].Trim();
                int chunk = int.Parse(size, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (chunk == 0)
                {
                    ReadLine(stream);
                    break;
                }

                ReadExactly(stream, body, chunk);
                ReadLine(stream);
            }
        }

        return (lines[0], Encoding.UTF8.GetString(body.ToArray()));
    }

    private static string ReadHead(Stream stream)
    {
        var head = new StringBuilder();
        string line;
        while ((line = ReadLine(stream)).Length > 0)
        {
            head.Append(line).Append("\r\n");
        }

        return head.ToString();
    }

    private static string ReadLine(Stream stream)
    {
        var line = new List<byte>();
        int b;
        while ((b = stream.ReadByte()) >= 0 && b != '\n')
        {
            line.Add((byte)b);
        }

        return Encoding.ASCII.GetString([.. line]).TrimEnd('\r');
    }

    private static void ReadExactly(Stream stream, MemoryStream into, int count)
    {
        byte[] buffer = new byte[count];
        stream.ReadExactly(buffer);
        into.Write(buffer);
    }

    /// <summary>TLS 1.2 with ECDHE-ECDSA, signing with the given key and sending the given chain as it is.</summary>
    private sealed class ChainServer(TlsCrypto crypto, Certificate chain, Org.BouncyCastle.Crypto.AsymmetricKeyParameter key) : DefaultTlsServer(crypto)
    {
        public override TlsCredentials GetCredentials() => new BcDefaultTlsCredentialedSigner(
            new TlsCryptoParameters(m_context),
            (BcTlsCrypto)Crypto,
            key,
            chain,
            SignatureAndHashAlgorithm.GetInstance(Org.BouncyCastle.Tls.HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));

        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.TLSv12.Only();

        protected override int[] GetSupportedCipherSuites() => TlsUtilities.GetSupportedCipherSuites(
            Crypto, [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]);
    }
}
