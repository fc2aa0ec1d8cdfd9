using System.Globalization;
using System.Net;

namespace OpenTunnel.Bench.Load;

/// <summary>How the load generator signs in.</summary>
internal enum AuthMode
{
    /// <summary>The XML form exchange with a user name and password (ocserv's plain auth).</summary>
    Password,

    /// <summary>An OIDC access token sent as <c>Authorization: Bearer</c> when the server asks for it (RFC 6750, openconnect --token-mode=oidc).</summary>
    Token,
}

/// <summary>
/// Settings of one load run. Every setting has a documented default; <see cref="Parse"/> refuses
/// a bad value with a message that names the setting.
/// </summary>
internal sealed record LoadOptions
{
    /// <summary>--server HOST:PORT: the gateway's public address and port (required).</summary>
    public required DnsEndPoint Server { get; init; }

    /// <summary>--sessions N: tunnels to open and hold (default 10, 1–100000).</summary>
    public int Sessions { get; init; } = 10;

    /// <summary>--concurrency N: sign-ins in flight at once during the ramp (default 32, 1–4096).</summary>
    public int Concurrency { get; init; } = 32;

    /// <summary>--auth password|token (default password).</summary>
    public AuthMode Auth { get; init; } = AuthMode.Password;

    /// <summary>--user NAME: the user name the password form asks for (default "bench").</summary>
    public string User { get; init; } = "bench";

    /// <summary>--password-file PATH: the password (first line); required with --auth password.</summary>
    public string? Password { get; init; }

    /// <summary>--token-file PATH: the access token (first line); required with --auth token.</summary>
    public string? Token { get; init; }

    /// <summary>--pin-sha256 BASE64: SHA-256 of the server certificate's SubjectPublicKeyInfo, as openconnect --servercert pin-sha256: takes it (required).</summary>
    public required string PinSha256 { get; init; }

    /// <summary>--source-addresses A,B,...: local addresses the connections bind to, round robin (default: the kernel picks).</summary>
    public IReadOnlyList<IPAddress> SourceAddresses { get; init; } = [];

    /// <summary>--keepalive SECONDS: CSTP keepalive interval per session, 0 = the server's X-CSTP-Keepalive (default 0).</summary>
    public TimeSpan Keepalive { get; init; } = TimeSpan.Zero;

    /// <summary>--dpd SECONDS: DPD request interval per session, 0 = the server's X-CSTP-DPD (default 0).</summary>
    public TimeSpan Dpd { get; init; } = TimeSpan.Zero;

    /// <summary>--hold SECONDS: how long to hold the sessions after the ramp, 0 = until SIGINT/SIGTERM (default 0).</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.Zero;

    /// <summary>--timeout SECONDS: limit for one session's TCP connect, TLS, sign-in and CONNECT (default 60).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public const string Usage = """
        usage: OpenTunnel.Bench.Load --server HOST:PORT --pin-sha256 BASE64 [options]
          --sessions N            tunnels to open and hold (10)
          --concurrency N         sign-ins in flight at once (32)
          --auth password|token   sign-in method (password)
          --user NAME             user name for the password form (bench)
          --password-file PATH    file whose first line is the password
          --token-file PATH       file whose first line is the access token
          --source-addresses LIST local addresses to bind, comma-separated (kernel's choice)
          --keepalive SECONDS     CSTP keepalive interval, 0 = server's (0)
          --dpd SECONDS           DPD interval, 0 = server's (0)
          --hold SECONDS          hold time after the ramp, 0 = until SIGINT/SIGTERM (0)
          --timeout SECONDS       limit for one session's setup (60)
        Prints one JSON object per line on stdout: "ramp" after the sign-ins, "done" at the end.
        """;

    /// <summary>Parses command-line arguments. Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        DnsEndPoint? server = null;
        string? pin = null;
        var options = new LoadOptions { Server = new DnsEndPoint("unset", 1), PinSha256 = string.Empty };
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.");
            }

            string value = args[++i];
            options = name switch
            {
                "--server" => options with { Server = server = ParseEndPoint(value) },
                "--sessions" => options with { Sessions = ParseInt(name, value, 1, 100_000) },
                "--concurrency" => options with { Concurrency = ParseInt(name, value, 1, 4096) },
                "--auth" => options with { Auth = value switch { "password" => AuthMode.Password, "token" => AuthMode.Token, _ => throw new ArgumentException($"--auth must be 'password' or 'token', not '{value}'.") } },
                "--user" => options with { User = value.Length > 0 ? value : throw new ArgumentException("--user must not be empty.") },
                "--password-file" => options with { Password = ReadSecret(name, value) },
                "--token-file" => options with { Token = ReadSecret(name, value) },
                "--pin-sha256" => options with { PinSha256 = pin = ParsePin(value) },
                "--source-addresses" => options with { SourceAddresses = ParseAddresses(value) },
                "--keepalive" => options with { Keepalive = ParseSeconds(name, value, 0, 86_400) },
                "--dpd" => options with { Dpd = ParseSeconds(name, value, 0, 86_400) },
                "--hold" => options with { Hold = ParseSeconds(name, value, 0, 86_400) },
                "--timeout" => options with { Timeout = ParseSeconds(name, value, 1, 3600) },
                _ => throw new ArgumentException($"Unknown option '{name}'."),
            };
        }

        if (server is null)
        {
            throw new ArgumentException("--server HOST:PORT is required.");
        }

        if (pin is null)
        {
            throw new ArgumentException("--pin-sha256 is required: the load generator checks the server certificate like openconnect --servercert.");
        }

        if (options.Auth == AuthMode.Password && options.Password is null)
        {
            throw new ArgumentException("--auth password needs --password-file.");
        }

        if (options.Auth == AuthMode.Token && options.Token is null)
        {
            throw new ArgumentException("--auth token needs --token-file.");
        }

        return options;
    }

    private static DnsEndPoint ParseEndPoint(string value)
    {
        int colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"--server must be HOST:PORT with a port from 1 to 65535, not '{value}'.");
        }

        return new DnsEndPoint(value[..colon].Trim('[', ']'), port);
    }

    private static int ParseInt(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{name} must be a whole number from {min} to {max}, not '{value}'.");

    private static TimeSpan ParseSeconds(string name, string value, double min, double max) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double s) && s >= min && s <= max
            ? TimeSpan.FromSeconds(s)
            : throw new ArgumentException($"{name} must be a number of seconds from {min} to {max}, not '{value}'.");

    private static string ReadSecret(string name, string path)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"{name}: file '{path}' does not exist.");
        }

        string first = File.ReadLines(path).FirstOrDefault() ?? string.Empty;
        return first.Length > 0 ? first : throw new ArgumentException($"{name}: the first line of '{path}' is empty.");
    }

    private static string ParsePin(string value)
    {
        string base64 = value.StartsWith("pin-sha256:", StringComparison.Ordinal) ? value["pin-sha256:".Length..] : value;
        Span<byte> hash = stackalloc byte[64];
        return Convert.TryFromBase64String(base64, hash, out int length) && length == 32
            ? base64
            : throw new ArgumentException($"--pin-sha256 must be the base64 of a 32-byte SHA-256, not '{value}'.");
    }

    private static IPAddress[] ParseAddresses(string value)
    {
        string[] parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var addresses = new IPAddress[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            addresses[i] = IPAddress.TryParse(parts[i], out var address)
                ? address
                : throw new ArgumentException($"--source-addresses: '{parts[i]}' is not an IP address.");
        }

        return addresses.Length > 0 ? addresses : throw new ArgumentException("--source-addresses must list at least one address.");
    }
}
