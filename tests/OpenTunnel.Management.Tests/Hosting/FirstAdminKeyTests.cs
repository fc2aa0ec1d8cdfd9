using System.Net;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Hosting;

/// <summary>The first administrator key file: private from the moment it holds the key.</summary>
[Trait("Category", "Integration")]
public sealed class FirstAdminKeyTests
{
    [Fact]
    public async Task FirstStart_WorldReadableKeyFileFromAnEarlierDatabase_ReplacedByAPrivateOneWithTheNewKey()
    {
        // A data directory kept while its database was wiped still holds a key file, here made
        // world-readable; opening it to write kept its mode, so the new key became readable by all.
        await using TestDatabase database = TestDatabase.CreateSqlite();
        string keyFile = Path.Combine(database.DataDirectory, "admin-api-key");
        File.WriteAllText(keyFile, "stale\n");
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await using ManagementApp app = ManagementApp.Start(database, issuer: null);
        using HttpClient admin = app.Client(app.AdminKey);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.NotEqual("stale", app.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.ReadAsync("/api/v1/sites")).Status);
    }
}
