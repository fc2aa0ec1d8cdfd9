namespace OpenTunnel.Platform.Linux.Tls;

/// <summary>A TLS 1.3 connection's cipher suite and its two application traffic secrets (generation 0).</summary>
public sealed record TlsTrafficSecrets(ushort CipherSuite, byte[] ClientSecret, byte[] ServerSecret);
