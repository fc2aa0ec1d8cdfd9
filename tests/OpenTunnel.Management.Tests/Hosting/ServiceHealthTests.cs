using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using OpenTunnel.Management.Hosting;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Hosting;

/// <summary>
/// The service's liveness and readiness endpoints on a real database: ready while the database
/// answers with its schema up to date and the signing keys are loaded, 503 naming the database
/// once the SQLite file is destroyed or the PostgreSQL database is gone, while live stays 200.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ServiceHealthTests
{
    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.Postgres)]
    public async Task Started_LiveAndReadyAndTheOlderPath_Answer200_NamingEveryReadinessCheck(DatabaseKind kind)
    {
        await using TestDatabase database = await TestDatabase.CreateAsync(kind);
        await using ManagementApp app = ManagementApp.Start(database, null);
        using HttpClient anonymous = app.Client();

        (HttpStatusCode liveStatus, JsonElement live) = await GetAsync(anonymous, ServiceHealth.LivePath);
        (HttpStatusCode readyStatus, JsonElement ready) = await GetAsync(anonymous, ServiceHealth.ReadyPath);
        (HttpStatusCode legacyStatus, _) = await GetAsync(anonymous, ServiceHealth.LegacyPath);

        Assert.Equal(HttpStatusCode.OK, liveStatus);
        Assert.Equal("Healthy", live.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, readyStatus);
        Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("database").GetString());
        Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("signing-keys").GetString());
        Assert.Equal(HttpStatusCode.OK, legacyStatus);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.Postgres)]
    public async Task DatabaseUnreachable_ReadyAnswers503NamingTheDatabase_LiveStays200(DatabaseKind kind)
    {
        await using TestDatabase database = await TestDatabase.CreateAsync(kind);
        await using ManagementApp app = ManagementApp.Start(database, null);
        using HttpClient anonymous = app.Client();
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(anonymous, ServiceHealth.ReadyPath)).Status);

        if (kind == DatabaseKind.Sqlite)
        {
            // The tests run as root, so a mode change would not stop SQLite: the file is overwritten instead.
            SqliteConnection.ClearAllPools();
            string file = Path.Combine(database.DataDirectory, "management.db");
            foreach (string side in new[] { file + "-wal", file + "-shm", file + "-journal" })
            {
                File.Delete(side);
            }

            await File.WriteAllBytesAsync(file, Enumerable.Repeat((byte)'x', 8192).ToArray());
        }
        else
        {
            await database.DropPostgresAsync();
        }

        (HttpStatusCode readyStatus, JsonElement ready) = await GetAsync(anonymous, ServiceHealth.ReadyPath);
        (HttpStatusCode legacyStatus, _) = await GetAsync(anonymous, ServiceHealth.LegacyPath);
        (HttpStatusCode liveStatus, _) = await GetAsync(anonymous, ServiceHealth.LivePath);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyStatus);
        Assert.Equal("Unhealthy", ready.GetProperty("status").GetString());
        Assert.Equal("Unhealthy", ready.GetProperty("checks").GetProperty("database").GetString());
        Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("signing-keys").GetString());
        Assert.DoesNotContain("description", ready.GetRawText(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, legacyStatus);
        Assert.Equal(HttpStatusCode.OK, liveStatus);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Json)> GetAsync(HttpClient client, string path)
    {
        using HttpResponseMessage response = await client.GetAsync(new Uri(path, UriKind.Relative));
        string body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }
}
