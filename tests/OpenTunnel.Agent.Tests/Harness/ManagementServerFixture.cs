using Npgsql;
using OpenTunnel.Agent.Enrolment;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Testing;

namespace OpenTunnel.Agent.Tests.Harness;

/// <summary>
/// One management service for a test class, and enrolled agents in a temporary directory. The
/// service runs on SQLite (<see cref="SqliteManagementServer"/>) or on a fresh database of the
/// PostgreSQL server the test command starts (<see cref="PostgresManagementServer"/>).
/// </summary>
public abstract class ManagementServerFixture : IAsyncLifetime
{
    public TemporaryDirectory Directory { get; } = new();

    public ManagementServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await ManagementServer.StartAsync(settings: await SettingsAsync());

    /// <summary>A new site with an agent enrolled into it, and the agent's link.</summary>
    public async Task<EnrolledAgent> EnrolAsync(string? probeUrl = null)
    {
        (Guid site, Guid configuration) = await Server.CreateSiteAsync(probeUrl);
        var options = Server.AgentOptions(Directory);
        AgentIdentity identity = await new AgentEnroller(options, await Server.CreateTokenAsync(site), TextWriter.Null).EnrolAsync(CancellationToken.None);
        return new EnrolledAgent(identity, new ManagementLink(identity), site, configuration, options.DataDirectory);
    }

    public virtual async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Dispose();
    }

    protected virtual Task<IReadOnlyDictionary<string, string>> SettingsAsync() => Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());
}

public sealed class SqliteManagementServer : ManagementServerFixture;

/// <summary>The service on a database of its own on OPENTUNNEL_TEST_POSTGRES, dropped at the end.</summary>
public sealed class PostgresManagementServer : ManagementServerFixture
{
    public const string Variable = "OPENTUNNEL_TEST_POSTGRES";

    private readonly string _database = $"ot_agent_{Guid.NewGuid():N}";
    private string? _admin;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_admin is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_admin);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    protected override async Task<IReadOnlyDictionary<string, string>> SettingsAsync()
    {
        _admin = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new PrerequisiteMissingException(
                $"This test needs PostgreSQL: {Variable} is not set. Run it through ./test.sh, which installs postgresql and starts a throw-away server, or set {Variable} to a connection string of a user that may create databases.");
        await using (var connection = new NpgsqlConnection(_admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{_database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new Dictionary<string, string>
        {
            ["Management:PostgresConnectionString"] = new NpgsqlConnectionStringBuilder(_admin) { Database = _database }.ToString(),
        };
    }
}

/// <summary>An enrolled agent's identity and link, with its site, server configuration and data directory.</summary>
public sealed record EnrolledAgent(AgentIdentity Identity, ManagementLink Link, Guid Site, Guid Configuration, string DataDirectory) : IDisposable
{
    public Guid ServerId => Identity.Registration.ServerId;

    public void Dispose()
    {
        Link.Dispose();
        Identity.Dispose();
    }
}
