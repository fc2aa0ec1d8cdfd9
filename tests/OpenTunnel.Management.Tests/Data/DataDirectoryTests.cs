using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Data;

/// <summary>The secrets at rest on SQLite: the data directory, the database file and the key folders are the service user's alone.</summary>
[Trait("Category", "Integration")]
public sealed class DataDirectoryTests
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task Start_OnAWorldReadableDirectory_DirectoryIs0700AndDatabase0600()
    {
        await using TestDatabase database = TestDatabase.CreateSqlite();
        File.SetUnixFileMode(database.DataDirectory, OwnerOnlyDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        await using ManagementApp app = ManagementApp.Start(database, issuer: null);
        await StartedAsync(app);

        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(database.DataDirectory));
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(Path.Combine(database.DataDirectory, "management.db")));
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(Path.Combine(database.DataDirectory, "identity")));
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(Path.Combine(database.DataDirectory, "identity", "data-protection")));
    }

    [Fact]
    public async Task Start_OnAnExistingWorldReadableDatabase_TightensItTo0600()
    {
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using (ManagementApp first = ManagementApp.Start(database, issuer: null))
        {
            await StartedAsync(first);
        }

        string file = Path.Combine(database.DataDirectory, "management.db");
        File.SetUnixFileMode(file, OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await using ManagementApp second = ManagementApp.Start(database, issuer: null);
        await StartedAsync(second);

        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(file));
    }

    /// <summary>Waits for the start (the first request runs it) and checks that the service answers.</summary>
    private static async Task StartedAsync(ManagementApp app)
    {
        using HttpClient client = app.Client(app.AdminKey);
        using HttpResponseMessage sites = await client.GetAsync(new Uri("/api/v1/sites", UriKind.Relative));
        Assert.True(sites.IsSuccessStatusCode, $"GET /api/v1/sites answered {(int)sites.StatusCode}");
    }
}
