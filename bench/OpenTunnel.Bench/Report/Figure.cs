using System.Globalization;

namespace OpenTunnel.Bench.Report;

/// <summary>What the benchmark measures a path by.</summary>
internal enum Target
{
    /// <summary>openconnect against the OpenTunnel gateway.</summary>
    OpenTunnel,

    /// <summary>OpenTunnel's own client (the native engine) against the OpenTunnel gateway.</summary>
    OpenTunnelNative,

    /// <summary>openconnect against ocserv.</summary>
    Ocserv,

    /// <summary>Plain routing, no tunnel.</summary>
    Direct,
}

/// <summary>One row of the result table.</summary>
/// <param name="Key">Stable name in the JSON ("dtls.upload").</param>
/// <param name="Label">What the row says.</param>
/// <param name="Unit">Unit of every value.</param>
/// <param name="HigherIsBetter">Whether a larger value is the better one (throughput) or not (latency, CPU, memory).</param>
/// <param name="DirectKey">The direct-path figure shown beside it, when the direct path has one.</param>
internal sealed record Figure(string Key, string Label, string Unit, bool HigherIsBetter, string? DirectKey = null);

/// <summary>Every figure the benchmark reports, in table order.</summary>
internal static class Figures
{
    public static readonly Figure DirectUpload = new("direct.upload", "Upload, direct", "Mbit/s", true);
    public static readonly Figure DirectDownload = new("direct.download", "Download, direct", "Mbit/s", true);
    public static readonly Figure DirectParallel = new("direct.parallel4", "Upload 4 streams, direct", "Mbit/s", true);
    public static readonly Figure DirectPing = new("direct.ping", "Ping, direct", "ms", false);

    public static readonly Figure DtlsUpload = new("dtls.upload", "Upload, DTLS", "Mbit/s", true, DirectUpload.Key);
    public static readonly Figure DtlsDownload = new("dtls.download", "Download, DTLS", "Mbit/s", true, DirectDownload.Key);
    public static readonly Figure DtlsParallel = new("dtls.parallel4", "Upload 4 streams, DTLS", "Mbit/s", true, DirectParallel.Key);
    public static readonly Figure TlsUpload = new("tls.upload", "Upload, TLS only (UDP blocked)", "Mbit/s", true, DirectUpload.Key);
    public static readonly Figure TlsDownload = new("tls.download", "Download, TLS only", "Mbit/s", true, DirectDownload.Key);
    public static readonly Figure TlsParallel = new("tls.parallel4", "Upload 4 streams, TLS only", "Mbit/s", true, DirectParallel.Key);
    public static readonly Figure DtlsPing = new("dtls.ping", "Ping through the tunnel, DTLS", "ms", false, DirectPing.Key);
    public static readonly Figure TlsPing = new("tls.ping", "Ping through the tunnel, TLS only", "ms", false, DirectPing.Key);
    public static readonly Figure DtlsPingAfterTransfers = new("dtls.ping_after_transfers", "Ping after the transfers, DTLS", "ms", false, DirectPing.Key);
    public static readonly Figure TlsPingAfterTransfers = new("tls.ping_after_transfers", "Ping after the transfers, TLS only", "ms", false, DirectPing.Key);
    public static readonly Figure Connect = new("connect", "Sign-in + connect until a ping passes (median)", "ms", false);
    public static readonly Figure DtlsCpu = new("dtls.cpu_per_gb", "Gateway CPU per GB moved, DTLS", "CPU s/GB", false);
    public static readonly Figure TlsCpu = new("tls.cpu_per_gb", "Gateway CPU per GB moved, TLS only", "CPU s/GB", false);
    public static readonly Figure DtlsClientCpu = new("dtls.client_cpu_per_gb", "Client CPU per GB moved, DTLS", "CPU s/GB", false);
    public static readonly Figure TlsClientCpu = new("tls.client_cpu_per_gb", "Client CPU per GB moved, TLS only", "CPU s/GB", false);

    /// <summary>The rows of the table that do not depend on the session counts, in order.</summary>
    public static readonly IReadOnlyList<Figure> Fixed =
    [
        DtlsUpload, DtlsDownload, DtlsParallel, TlsUpload, TlsDownload, TlsParallel,
        DtlsPing, TlsPing, DtlsPingAfterTransfers, TlsPingAfterTransfers, Connect, DtlsCpu, TlsCpu, DtlsClientCpu, TlsClientCpu,
    ];

    /// <summary>The session-scale figures for <paramref name="sessions"/> sessions.</summary>
    public static ScaleFigures Scale(int sessions)
    {
        string n = sessions.ToString("N0", CultureInfo.InvariantCulture);
        string key = "scale." + sessions.ToString(CultureInfo.InvariantCulture);
        return new ScaleFigures(
            new(key + ".established", $"Sessions up of {n} (TLS, no TUN)", "sessions", true),
            new(key + ".sign_in_rate", $"Sign-in + CONNECT rate, {n} sessions", "sessions/s", true),
            new(key + ".sign_in_p50", $"Sign-in + CONNECT time p50, {n} sessions", "ms", false),
            new(key + ".pss_per_session", $"Gateway memory per session (PSS), {n} sessions", "KiB", false),
            new(key + ".rss_per_session", $"Gateway memory per session (RSS), {n} sessions", "KiB", false),
            new(key + ".idle_cpu", $"Gateway CPU with {n} idle sessions", "% of a core", false));
    }
}

/// <summary>The rows of one session count.</summary>
internal sealed record ScaleFigures(Figure Established, Figure SignInRate, Figure SignInP50, Figure PssPerSession, Figure RssPerSession, Figure IdleCpu);
