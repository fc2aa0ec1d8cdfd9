using Microsoft.Extensions.Options;
using OpenTunnel.Observability;

namespace OpenTunnel.Management.Settings;

/// <summary>Settings of the management service, section "Management" (environment: Management__Name).</summary>
public sealed class ManagementOptions
{
    public const string Section = "Management";

    /// <summary>Folder for the SQLite file and the first administrator key. Default /var/lib/opentunnel/management.</summary>
    public string DataDirectory { get; set; } = "/var/lib/opentunnel/management";

    /// <summary>The log lines on standard output: simple (default, one line per event with a UTC timestamp), json or systemd. Read at start.</summary>
    public LogFormat LogFormat { get; set; } = LogFormat.Simple;

    /// <summary>PostgreSQL connection string. When set, PostgreSQL is used instead of SQLite. Default: none.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Administrator tokens (JWT bearer). Without an authority only API keys sign in.</summary>
    public AdminTokenOptions AdminTokens { get; set; } = new();

    /// <summary>Who may use the web console (docs/console.md).</summary>
    public ConsoleOptions Console { get; set; } = new();

    /// <summary>
    /// Addresses and networks (CIDR) of the TLS-terminating proxies in front of the service, whose
    /// X-Forwarded-For and X-Forwarded-Proto are believed (docs/management.md). Default none: the
    /// headers are ignored and the client address is the connection's.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>
    /// The key-encryption key of the secrets replicas share through PostgreSQL (32 base64 bytes,
    /// mode 0600): the first replica creates it, every other replica must be given a copy.
    /// Default: secrets-key in the data directory.
    /// </summary>
    public string? SecretsKeyFile { get; set; }

    /// <summary>Days an access record (an ended VPN session) is kept after the session ended. Default 90, 1 to 3650.</summary>
    public int AccessLogRetentionDays { get; set; } = 90;

    /// <summary>
    /// Days before the end of the agents' internal CA (made for 20 years) from which the service
    /// warns in its log daily, reports the health check agent-ca Degraded. Default 180, 1 to 3650.
    /// </summary>
    public int AgentCaExpiryWarningDays { get; set; } = 180;

    public bool UsesPostgres => !string.IsNullOrWhiteSpace(PostgresConnectionString);

    /// <summary>The key-encryption key file: <see cref="SecretsKeyFile"/>, or secrets-key in the data directory.</summary>
    public string SecretsKeyPath => SecretsKeyFile ?? Path.Combine(DataDirectory, "secrets-key");

    /// <summary>The SQLite database file: management.db in the data directory.</summary>
    public string SqlitePath => Path.Combine(DataDirectory, "management.db");

    /// <summary>Where the first full-admin API key is written at first start (mode 0600).</summary>
    public string AdminKeyPath => Path.Combine(DataDirectory, "admin-api-key");
}

/// <summary>How administrator JWTs are validated.</summary>
public sealed class AdminTokenOptions
{
    /// <summary>
    /// The issuer (e.g. https://login.example.com). Its OpenID discovery document names the JWKS
    /// that signs tokens. Default: none, which turns bearer tokens off.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>The audience tokens must carry. Default "opentunnel-management".</summary>
    public string Audience { get; set; } = "opentunnel-management";

    /// <summary>The claim that carries the role (read-only or full-admin). Default "role".</summary>
    public string RoleClaim { get; set; } = "role";

    /// <summary>Refuse an authority over plain http. Default true; tests on loopback turn it off.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
}

/// <summary>
/// The web console (section Management:Console): people sign in at the identity provider and get
/// the API's roles through their groups; a person in neither list is refused.
/// </summary>
public sealed class ConsoleOptions
{
    public static readonly TimeSpan MinimumSessionLifetime = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan MaximumSessionLifetime = TimeSpan.FromDays(7);

    /// <summary>Names of the groups whose members are full administrators in the console. Default none.</summary>
    public List<string> FullAdminGroups { get; set; } = [];

    /// <summary>Names of the groups whose members may look but not change (read-only). Default none.</summary>
    public List<string> ReadOnlyGroups { get; set; } = [];

    /// <summary>How long a console sign-in lasts before the next sign-in; default 8 h, 5 min to 7 days.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}

/// <summary>Refuses bad settings at start-up, naming the setting.</summary>
internal sealed class ManagementOptionsValidator : IValidateOptions<ManagementOptions>
{
    public ValidateOptionsResult Validate(string? name, ManagementOptions options)
    {
        var failures = new List<string>();
        if (!options.UsesPostgres && string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("Management:DataDirectory is empty; it names the folder of the SQLite database.");
        }

        if (options.SecretsKeyFile is { } secretsKey && !Path.IsPathFullyQualified(secretsKey))
        {
            failures.Add($"Management:SecretsKeyFile must be an absolute path (got '{secretsKey}').");
        }

        if (options.AdminTokens.Authority is { } authority && !Uri.TryCreate(authority, UriKind.Absolute, out _))
        {
            failures.Add($"Management:AdminTokens:Authority '{authority}' is not an absolute URL.");
        }

        if (string.IsNullOrWhiteSpace(options.AdminTokens.Audience))
        {
            failures.Add("Management:AdminTokens:Audience is empty.");
        }

        if (string.IsNullOrWhiteSpace(options.AdminTokens.RoleClaim))
        {
            failures.Add("Management:AdminTokens:RoleClaim is empty.");
        }

        if (options.AccessLogRetentionDays is < 1 or > 3650)
        {
            failures.Add($"Management:AccessLogRetentionDays is {options.AccessLogRetentionDays}; it must be between 1 and 3650.");
        }

        if (options.AgentCaExpiryWarningDays is < 1 or > 3650)
        {
            failures.Add($"Management:AgentCaExpiryWarningDays is {options.AgentCaExpiryWarningDays}; it must be between 1 and 3650.");
        }

        failures.AddRange(Settings.TrustedProxies.Problems(options.TrustedProxies));
        AddBlankGroups(failures, "Management:Console:FullAdminGroups", options.Console.FullAdminGroups);
        AddBlankGroups(failures, "Management:Console:ReadOnlyGroups", options.Console.ReadOnlyGroups);
        if (options.Console.SessionLifetime < ConsoleOptions.MinimumSessionLifetime || options.Console.SessionLifetime > ConsoleOptions.MaximumSessionLifetime)
        {
            failures.Add($"Management:Console:SessionLifetime is {options.Console.SessionLifetime}; it must be between {ConsoleOptions.MinimumSessionLifetime} and {ConsoleOptions.MaximumSessionLifetime}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AddBlankGroups(List<string> failures, string setting, List<string> groups)
    {
        for (int i = 0; i < groups.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(groups[i]))
            {
                failures.Add($"{setting}:{i} is empty; name a group.");
            }
        }
    }
}
