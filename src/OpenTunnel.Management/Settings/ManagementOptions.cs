using Microsoft.Extensions.Options;

namespace OpenTunnel.Management.Settings;

/// <summary>Settings of the management service, section "Management" (environment: Management__Name).</summary>
public sealed class ManagementOptions
{
    public const string Section = "Management";

    /// <summary>Folder for the SQLite file and the first administrator key. Default /var/lib/opentunnel/management.</summary>
    public string DataDirectory { get; set; } = "/var/lib/opentunnel/management";

    /// <summary>PostgreSQL connection string. When set, PostgreSQL is used instead of SQLite. Default: none.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Administrator tokens (JWT bearer). Without an authority only API keys sign in.</summary>
    public AdminTokenOptions AdminTokens { get; set; } = new();

    /// <summary>
    /// Addresses and networks (CIDR) of the TLS-terminating proxies in front of the service, whose
    /// X-Forwarded-For and X-Forwarded-Proto are believed (docs/management.md). Default none: the
    /// headers are ignored and the client address is the connection's.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    public bool UsesPostgres => !string.IsNullOrWhiteSpace(PostgresConnectionString);

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

        failures.AddRange(Settings.TrustedProxies.Problems(options.TrustedProxies));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
