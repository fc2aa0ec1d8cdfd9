using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using OpenTunnel.Identity.Keys;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.Management.Tests.Hosting;

/// <summary>
/// Two management services (each its own host, data directory and memory) on one PostgreSQL
/// database, as replicas behind a balancer: they create one set of shared secrets even when they
/// start together, sign tokens that the other's JWKS verifies, open each other's data-protection
/// payloads, and a change saved through one wakes the agent polls waiting on the other at once.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ReplicaTests : IAsyncLifetime
{
    private static readonly TimeSpan WakeLimit = TimeSpan.FromSeconds(5);

    private readonly TemporaryDirectory _folders = new();
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreatePostgresAsync();

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        _folders.Dispose();
    }

    [Fact]
    public async Task TwoReplicasStartingTogether_StoreOneSetOfSecrets_AndUseTheSameCaAndKeys()
    {
        string keyFile = SharedKeyFile();
        Task<ManagementApp> startA = Task.Run(() => Replica("a", keyFile));
        Task<ManagementApp> startB = Task.Run(() => Replica("b", keyFile));
        await using ManagementApp a = await startA;
        await using ManagementApp b = await startB;

        // The identity provider loads its keys when it first answers: both publish the same JWKS.
        using HttpClient clientA = a.Client();
        using HttpClient clientB = b.Client();
        Task<string> jwksA = clientA.GetStringAsync(new Uri("/.well-known/jwks", UriKind.Relative));
        Task<string> jwksB = clientB.GetStringAsync(new Uri("/.well-known/jwks", UriKind.Relative));
        Assert.Equal(await jwksA, await jwksB);

        Dictionary<string, int> stored = await StoredSecretsAsync();
        Assert.Equal(1, stored.GetValueOrDefault(InternalCertificateAuthority.SharedName));
        Assert.Equal(1, stored.GetValueOrDefault(KeyDirectory.SharedEncryptionKeyName));
        Assert.Equal(1, stored.Where(s => s.Key.StartsWith(SigningKeyRing.SharedPrefix, StringComparison.Ordinal)).Sum(s => s.Value));
        Assert.Equal(1, stored.Where(s => s.Key.StartsWith(SharedXmlRepository.Prefix, StringComparison.Ordinal)).Sum(s => s.Value));
        Assert.Equal(a.Services.GetRequiredService<InternalCertificateAuthority>().Pin, b.Services.GetRequiredService<InternalCertificateAuthority>().Pin);
        Assert.Equal(a.Services.GetRequiredService<SigningKeyRing>().Keys[0].KeyId, b.Services.GetRequiredService<SigningKeyRing>().Keys[0].KeyId);

        // Nothing private is stored readable: every value is sealed, none holds a PEM key.
        Assert.DoesNotContain("PRIVATE KEY", await RawValuesAsync(), StringComparison.Ordinal);

        // The replicas keep no key files of their own: another replica would not have them.
        foreach (string replica in new[] { "a", "b" })
        {
            string data = Path.Combine(_folders.Path, replica);
            Assert.False(File.Exists(Path.Combine(data, InternalCertificateAuthority.KeyFileName)), $"Replica {replica} wrote the CA key to its data directory.");
            Assert.False(Directory.Exists(Path.Combine(data, "identity", "signing-keys")), $"Replica {replica} wrote signing keys to its data directory.");
        }
    }

    [Fact]
    public async Task TokensOfEitherReplica_VerifyWithTheOthersJwks_AndDataProtectionPayloadsOpenOnTheOther()
    {
        string keyFile = SharedKeyFile();
        await using ManagementApp a = Replica("a", keyFile);
        await using ManagementApp b = Replica("b", keyFile);
        using HttpClient adminA = a.Client(AdminKey(a, b));
        ApiResponse created = await adminA.CreateAsync("/api/v1/automation-clients", new { name = "replica-test", role = "read-only" });
        string clientId = created.Json.GetProperty("client").GetProperty("clientId").GetString()!;
        string secret = created.Json.GetProperty("clientSecret").GetString()!;

        foreach ((ManagementApp issuer, ManagementApp verifier, string name) in new[] { (a, b, "a→b"), (b, a, "b→a") })
        {
            using HttpClient client = issuer.Client();
            string token = await ClientCredentialsTokenAsync(client, clientId, secret);
            using HttpClient other = verifier.Client();
            var keys = new JsonWebKeySet(await other.GetStringAsync(new Uri("/.well-known/jwks", UriKind.Relative)));
            TokenValidationResult result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
            {
                IssuerSigningKeys = keys.GetSigningKeys(),
                ValidateIssuer = false,
                ValidateAudience = false,
            });
            Assert.True(result.IsValid, $"{name}: a token of one replica does not verify with the other's JWKS: {result.Exception?.Message}");
        }

        // Cookies, anti-forgery tokens and TOTP seeds are data-protection payloads of the application "OpenTunnel.Identity".
        const string Purpose = "ReplicaTests";
        string sealedByA = a.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose).Protect("console session");
        string sealedByB = b.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose).Protect("console session");
        Assert.Equal("console session", b.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose).Unprotect(sealedByA));
        Assert.Equal("console session", a.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose).Unprotect(sealedByB));
    }

    [Fact]
    public async Task AChangeSavedOnOneReplica_WakesAPollWaitingOnTheOther_Within5Seconds_AlsoAfterItsListeningConnectionWasLost()
    {
        string keyFile = SharedKeyFile();
        await using ManagementApp a = Replica("a", keyFile);

        // B reads the change stamp only every minute: a wake-up within seconds comes from the notification.
        await using ManagementApp b = Replica("b", keyFile, new Dictionary<string, string> { ["Management:Agents:ChangeCheckMilliseconds"] = "60000" });
        using HttpClient adminA = a.Client(AdminKey(a, b));
        var feed = b.Services.GetRequiredService<ChangeFeed>();
        await WaitUntilAsync(() => feed.Listening, "replica B listens for changes");

        for (int round = 1; round <= 2; round++)
        {
            long seen = feed.Version;
            await feed.WaitAsync(seen, TimeSpan.FromSeconds(2), CancellationToken.None);
            Assert.True(feed.Version == seen, $"Round {round}: replica B's polls woke without a change.");

            var clock = Stopwatch.StartNew();
            Task waiting = feed.WaitAsync(seen, TimeSpan.FromSeconds(30), CancellationToken.None);
            await Objects.ConfigurationAsync(adminA);
            await waiting;
            TimeSpan woke = clock.Elapsed;
            Assert.True(feed.Version != seen && woke < WakeLimit, $"Round {round}: the change saved on replica A woke replica B's poll after {woke.TotalSeconds:0.0} s (limit {WakeLimit.TotalSeconds} s).");

            if (round == 1)
            {
                // The server ends B's listening connection: B opens it again and wakes its polls to read the database.
                long before = feed.Version;
                Assert.True(await TerminateListenersAsync() >= 1, "No backend was listening on the change channel.");
                await WaitUntilAsync(() => feed.Version != before && feed.Listening, "replica B listens again after its connection was ended");
            }
        }
    }

    [Fact]
    public async Task AReplicaWithAnotherKeyEncryptionKey_RefusesToStart_NamingTheKeyFile()
    {
        await using ManagementApp a = Replica("a", SharedKeyFile());
        string otherKey = Path.Combine(_folders.Subdirectory("other-key"), "secrets-key");
        File.WriteAllText(otherKey, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));

        Exception refused = Assert.ThrowsAny<Exception>(() => Replica("b", otherKey).DisposeAsync().AsTask().GetAwaiter().GetResult());
        string messages = string.Join(" | ", Flatten(refused).Select(e => e.Message));
        Assert.Contains("does not open with the key-encryption key " + otherKey, messages, StringComparison.Ordinal);
    }

    /// <summary>A replica on the shared database with its own data directory and the shared key-encryption key.</summary>
    private ManagementApp Replica(string name, string keyFile, IReadOnlyDictionary<string, string>? settings = null)
    {
        string data = _folders.Subdirectory(name);
        return ManagementApp.Start(_database, issuer: null, settings: settings, configure: b =>
        {
            b.UseSetting("Management:DataDirectory", data);
            b.UseSetting("Management:SecretsKeyFile", keyFile);
            b.UseSetting("Identity:RequireHttps", "false");
        });
    }

    private string SharedKeyFile()
    {
        string path = Path.Combine(_folders.Subdirectory("kek"), "secrets-key");
        File.WriteAllText(path, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>The first full-admin key, from whichever replica created it.</summary>
    private string AdminKey(params ManagementApp[] replicas)
    {
        foreach (string name in new[] { "a", "b" })
        {
            string path = Path.Combine(_folders.Path, name, "admin-api-key");
            if (File.Exists(path))
            {
                return File.ReadAllText(path).Trim();
            }
        }

        throw new InvalidOperationException($"None of the {replicas.Length} replicas wrote admin-api-key.");
    }

    private static async Task<string> ClientCredentialsTokenAsync(HttpClient client, string clientId, string secret)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret });
        using HttpResponseMessage response = await client.PostAsync(new Uri("/connect/token", UriKind.Relative), form);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"The token request was refused: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    private async Task<Dictionary<string, int>> StoredSecretsAsync()
    {
        var names = new Dictionary<string, int>();
        await using var connection = new NpgsqlConnection(_database.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT "Name" FROM "SharedSecrets" """, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            string name = reader.GetString(0);
            names[name] = names.GetValueOrDefault(name) + 1;
        }

        return names;
    }

    private async Task<string> RawValuesAsync()
    {
        await using var connection = new NpgsqlConnection(_database.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT string_agg("Value", ' ') FROM "SharedSecrets" """, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Ends the backends of this database that listen on the change channel, as a restart of the server or a network cut would; how many.</summary>
    private async Task<int> TerminateListenersAsync()
    {
        await using var connection = new NpgsqlConnection(_database.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @name", connection);
        command.Parameters.AddWithValue("name", ChangeFeed.ListenerApplicationName);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(50);
        }
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (Exception inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }
}
