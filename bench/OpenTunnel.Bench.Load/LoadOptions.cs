using System.CommandLine;
using System.Globalization;
using System.Net;
using OpenTunnel.CommandLine;

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
/// Settings of one load run and the command line that sets them (System.CommandLine). Every
/// setting has a documented default; a bad value is refused with a message that names the setting.
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

    /// <summary>--ping ADDRESS: an IPv4 address every session sends ICMP echo requests to through its tunnel, from its leased address (default: none, the sessions carry no packets).</summary>
    public IPAddress? Ping { get; init; }

    /// <summary>--ping-interval SECONDS: how often each session sends an echo request with --ping (default 1).</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(1);

    private const string Description = """
        The benchmark's load generator: opens --sessions OpenConnect tunnels to --server, holds them,
        and prints one JSON object per line on stdout: "ramp" after the sign-ins, "done" at the end.

        Examples:
          OpenTunnel.Bench.Load --server 198.18.0.1:443 --pin-sha256 BASE64 --password-file pw --sessions 1000
          OpenTunnel.Bench.Load --server 198.18.0.1:443 --pin-sha256 BASE64 --auth token --token-file t --hold 30
          OpenTunnel.Bench.Load --server 198.18.0.1:443 --pin-sha256 BASE64 --auth token --token-file t --ping 198.18.2.2
        Exit codes (docs/cli.md): 0 done, 64 bad command line.
        """;

    private static readonly Option<DnsEndPoint?> ServerOption = Required(OptionValue.Parsed("--server", "The gateway's address and port, HOST:PORT (required).", ParseEndPoint));
    private static readonly Option<int?> SessionsOption = Int("--sessions", "Tunnels to open and hold (default 10).", 1, 100_000);
    private static readonly Option<int?> ConcurrencyOption = Int("--concurrency", "Sign-ins in flight at once (default 32).", 1, 4096);
    private static readonly Option<AuthMode?> AuthOption = OptionValue.ParsedValue("--auth", "Sign-in method: password or token (default password).", value => value switch
    {
        "password" => AuthMode.Password,
        "token" => AuthMode.Token,
        _ => throw new ArgumentException($"--auth must be 'password' or 'token', not '{value}'."),
    });

    private static readonly Option<string?> UserOption = OptionValue.Parsed("--user", "The user name for the password form (default bench).", value =>
        value.Length > 0 ? value : throw new ArgumentException("--user must not be empty."));

    private static readonly Option<string?> PasswordFileOption = OptionValue.Parsed("--password-file", "A file whose first line is the password.", path => ReadSecret("--password-file", path));
    private static readonly Option<string?> TokenFileOption = OptionValue.Parsed("--token-file", "A file whose first line is the access token.", path => ReadSecret("--token-file", path));
    private static readonly Option<string?> PinOption = Required(OptionValue.Parsed("--pin-sha256", "The server certificate's pin, as openconnect --servercert pin-sha256: takes it (required).", ParsePin));
    private static readonly Option<IPAddress[]?> SourceAddressesOption = OptionValue.Parsed("--source-addresses", "Local addresses to bind, comma-separated (default: the kernel's choice).", ParseAddresses);
    private static readonly Option<TimeSpan?> KeepaliveOption = Seconds("--keepalive", "CSTP keepalive interval in seconds, 0 = the server's (default 0).", 0, 86_400);
    private static readonly Option<TimeSpan?> DpdOption = Seconds("--dpd", "DPD interval in seconds, 0 = the server's (default 0).", 0, 86_400);
    private static readonly Option<TimeSpan?> HoldOption = Seconds("--hold", "Seconds to hold the sessions after the ramp, 0 = until SIGINT/SIGTERM (default 0).", 0, 86_400);
    private static readonly Option<TimeSpan?> TimeoutOption = Seconds("--timeout", "Limit in seconds for one session's setup (default 60).", 1, 3600);
    private static readonly Option<IPAddress?> PingOption = OptionValue.Parsed("--ping", "An IPv4 address each session pings through its tunnel (default: no packets).", ParsePingAddress);
    private static readonly Option<TimeSpan?> PingIntervalOption = Seconds("--ping-interval", "Seconds between one session's echo requests with --ping (default 1).", 0.1, 3600);

    /// <summary>The command line: <paramref name="run"/> gets the options once they parse; a bad value exits 64 naming the setting.</summary>
    public static RootCommand Command(Func<LoadOptions, CancellationToken, Task<int>> run)
    {
        var root = new RootCommand(Description);
        foreach (Option option in new Option[]
        {
            ServerOption, SessionsOption, ConcurrencyOption, AuthOption, UserOption, PasswordFileOption, TokenFileOption, PinOption,
            SourceAddressesOption, KeepaliveOption, DpdOption, HoldOption, TimeoutOption, PingOption, PingIntervalOption,
        })
        {
            root.Options.Add(option);
        }

        root.Validators.Add(result =>
        {
            // From the word typed: a mistyped --auth has its own error already.
            string auth = result.GetResult(AuthOption)?.Tokens is [.., var typed] ? typed.Value : "password";
            if (auth == "password" && result.GetResult(PasswordFileOption) is null)
            {
                result.AddError("--auth password needs --password-file.");
            }

            if (auth == "token" && result.GetResult(TokenFileOption) is null)
            {
                result.AddError("--auth token needs --token-file.");
            }
        });
        root.SetAction((result, cancellationToken) => run(From(result), cancellationToken));
        return root;
    }

    /// <summary>Parses without running; a bad command line throws <see cref="ArgumentException"/> naming the setting.</summary>
    public static LoadOptions Parse(IReadOnlyList<string> args) =>
        From(OptionValue.ThrowOnError(Command((_, _) => Task.FromResult(0)).Parse(args)));

    private static LoadOptions From(ParseResult result)
    {
        var defaults = new LoadOptions { Server = result.GetValue(ServerOption)!, PinSha256 = result.GetValue(PinOption)! };
        return defaults with
        {
            Sessions = result.GetValue(SessionsOption) ?? defaults.Sessions,
            Concurrency = result.GetValue(ConcurrencyOption) ?? defaults.Concurrency,
            Auth = result.GetValue(AuthOption) ?? defaults.Auth,
            User = result.GetValue(UserOption) ?? defaults.User,
            Password = result.GetValue(PasswordFileOption),
            Token = result.GetValue(TokenFileOption),
            SourceAddresses = result.GetValue(SourceAddressesOption) ?? defaults.SourceAddresses,
            Keepalive = result.GetValue(KeepaliveOption) ?? defaults.Keepalive,
            Dpd = result.GetValue(DpdOption) ?? defaults.Dpd,
            Hold = result.GetValue(HoldOption) ?? defaults.Hold,
            Timeout = result.GetValue(TimeoutOption) ?? defaults.Timeout,
            Ping = result.GetValue(PingOption),
            PingInterval = result.GetValue(PingIntervalOption) ?? defaults.PingInterval,
        };
    }

    private static Option<T> Required<T>(Option<T> option)
    {
        option.Required = true;
        return option;
    }

    private static Option<int?> Int(string name, string description, int min, int max) =>
        OptionValue.ParsedValue(name, description, value => ParseInt(name, value, min, max));

    private static Option<TimeSpan?> Seconds(string name, string description, double min, double max) =>
        OptionValue.ParsedValue(name, description, value => ParseSeconds(name, value, min, max));

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

    private static IPAddress ParsePingAddress(string value) =>
        IPAddress.TryParse(value, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? address
            : throw new ArgumentException($"--ping must be an IPv4 address, not '{value}'.");

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
