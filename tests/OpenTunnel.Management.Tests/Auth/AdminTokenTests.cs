using System.Net;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Auth;

/// <summary>
/// Administrator JWTs, validated against a real issuer's JWKS on loopback (the stand-in for
/// the identity provider of issue #6). Sign-in does not depend on the database, so SQLite only.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AdminTokenTests(SqliteApp fixture) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task FullAdminToken_MayWrite_AndIsAuditedAsTheUser()
    {
        using HttpClient alice = fixture.App.BearerClient(fixture.Issuer.Mint("alice", "full-admin"));

        ApiResponse created = await alice.CreateAsync("/api/v1/groups", new { name = ManagementAppFixture.Unique("g") });
        ApiResponse audit = await alice.ReadAsync($"/api/v1/audit?entityId={created.Id}");

        Assert.Equal("user:alice", audit.Json.GetProperty("items")[0].GetProperty("actor").GetString());
    }

    [Fact]
    public async Task ReadOnlyToken_MayRead_ButWriteIs403()
    {
        using HttpClient bob = fixture.App.BearerClient(fixture.Issuer.Mint("bob", "read-only"));

        ApiResponse read = await bob.ReadAsync("/api/v1/groups");
        ApiResponse write = await bob.SendAsync(HttpMethod.Post, "/api/v1/groups", new { name = "nope" });

        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal(HttpStatusCode.Forbidden, write.Status);
    }

    [Fact]
    public async Task TokenWithoutRole_Is403()
    {
        using HttpClient carol = fixture.App.BearerClient(fixture.Issuer.Mint("carol", role: null));

        Assert.Equal(HttpStatusCode.Forbidden, (await carol.ReadAsync("/api/v1/groups")).Status);
    }

    [Fact]
    public async Task TokenForAnotherAudience_Is401()
    {
        using HttpClient client = fixture.App.BearerClient(fixture.Issuer.Mint("dave", "full-admin", audience: "opentunnel-gateway"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.ReadAsync("/api/v1/groups")).Status);
    }

    [Fact]
    public async Task ExpiredToken_Is401()
    {
        using HttpClient client = fixture.App.BearerClient(fixture.Issuer.Mint("erin", "full-admin", lifetime: TimeSpan.FromMinutes(-10)));

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.ReadAsync("/api/v1/groups")).Status);
    }

    [Fact]
    public async Task TokenSignedByAnotherIssuer_Is401()
    {
        await using TestTokenIssuer stranger = await TestTokenIssuer.StartAsync();
        using HttpClient client = fixture.App.BearerClient(stranger.Mint("mallory", "full-admin", issuer: fixture.Issuer.Issuer));

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.ReadAsync("/api/v1/groups")).Status);
    }
}
