using System.Text.Json;
using OpenTunnel.CommandLine;
using OpenTunnel.Management.Cli;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Cli;

/// <summary>The CLI's verbs beyond create/read/update/delete, typed as an administrator types them, against the real service (in-memory HTTP).</summary>
[Trait("Category", "Integration")]
public sealed class AdminCliActionsTests(SqliteApp fixture) : IClassFixture<SqliteApp>
{
    private async Task<(int Exit, string Output, string Error)> RunWithInputAsync(string? input, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var reader = new StringReader(input ?? string.Empty);
        using HttpMessageHandler handler = fixture.App.CreateHandler();
        string[] all = [.. args, "--url", "http://localhost", "--api-key", fixture.App.AdminKey];
        int exit = await AdminCli.RunAsync(all, output, error, CancellationToken.None, handler, _ => null, input: reader);
        return (exit, output.ToString(), error.ToString());
    }

    private Task<(int Exit, string Output, string Error)> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    private static string Field(string details, string name) =>
        details.Split('\n').Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

    [Fact]
    public async Task Servers_HealthTelemetryCommandsAndCertificateRevocation_ThroughTheCli()
    {
        (_, ApiResponse server) = await Objects.EnrolledServerAsync(fixture.Admin, fixture.Anonymous);

        var health = await RunAsync("servers", "health", server.Id);
        var telemetry = await RunAsync("servers", "telemetry", server.Id, "--limit", "10");
        var sent = await RunAsync("servers", "send-command", server.Id, "--kind", "disconnect", "--target", "alice", "--json");
        string commandId = JsonDocument.Parse(sent.Output).RootElement.GetProperty("id").GetString()!;
        var commands = await RunAsync("servers", "commands", server.Id);
        var command = await RunAsync("servers", "command", server.Id, commandId);
        var certificates = await RunAsync("servers", "certificates", server.Id);
        var revoked = await RunAsync("servers", "revoke-certificates", server.Id, "--reason", "stolen");
        var afterwards = await RunAsync("servers", "certificates", server.Id);

        Assert.Equal(0, health.Exit);
        Assert.Equal(server.Id, Field(health.Output, "serverId"));
        Assert.Contains("checks:", health.Output, StringComparison.Ordinal);
        Assert.Equal(0, telemetry.Exit);
        Assert.StartsWith("sequence", telemetry.Output, StringComparison.Ordinal);
        Assert.Equal(0, sent.Exit);
        Assert.Contains(commandId, commands.Output, StringComparison.Ordinal);
        Assert.StartsWith("id", commands.Output, StringComparison.Ordinal);
        Assert.Equal("disconnect", Field(command.Output, "kind"));
        Assert.Equal("alice", Field(command.Output, "target"));
        Assert.Equal(2, certificates.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain("stolen", certificates.Output, StringComparison.Ordinal);
        Assert.Equal("1", Field(revoked.Output, "revoked"));
        Assert.Contains("stolen", afterwards.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessLog_ListsATablePagedByCursor_JsonForScripts_AndABadTimeIsRefusedNamingIt()
    {
        string user = ManagementAppFixture.Unique("erin");
        DateTime start = new(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc);
        await AccessLogEntries.StoreAsync(fixture.App,
            AccessLogEntries.Entry(user, start, start.AddHours(1)), AccessLogEntries.Entry(user, start, start.AddHours(2)), AccessLogEntries.Entry(user, start, start.AddHours(3)));

        var first = await RunAsync("access-log", "list", "--user", user, "--limit", "2");
        string cursor = first.Output.Split("--cursor ")[1].Trim();
        var second = await RunAsync("access-log", "list", "--user", user, "--limit", "2", "--cursor", cursor);
        var json = await RunAsync("access-log", "list", "--user", user, "--json");
        var refused = await RunAsync("access-log", "list", "--from", "yesterday");

        Assert.Equal(0, first.Exit);
        Assert.StartsWith("startedAt", first.Output, StringComparison.Ordinal);
        Assert.Equal(2, first.Output.Split('\n').Count(l => l.Contains(user, StringComparison.Ordinal)));
        Assert.Contains("2026-12-01T11:00:00", first.Output, StringComparison.Ordinal);
        Assert.Equal(0, second.Exit);
        Assert.Single(second.Output.Split('\n'), l => l.Contains(user, StringComparison.Ordinal));
        Assert.Contains("2026-12-01T09:00:00", second.Output, StringComparison.Ordinal);
        Assert.Contains("1 shown; no more", second.Output, StringComparison.Ordinal);
        Assert.Equal(3, JsonDocument.Parse(json.Output).RootElement.GetProperty("items").GetArrayLength());
        Assert.Equal(1, refused.Exit);
        Assert.Contains("from: is 'yesterday'", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendCommand_WithoutKind_IsAUsageErrorNamingTheOption()
    {
        var refused = await RunAsync("servers", "send-command", Guid.NewGuid().ToString(), "--target", "alice");

        Assert.Equal(ExitCodes.Usage, refused.Exit);
        Assert.Contains("--kind", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sites_HealthAndCommandToEveryServer_ThroughTheCli()
    {
        (ApiResponse site, ApiResponse server) = await Objects.EnrolledServerAsync(fixture.Admin, fixture.Anonymous);

        var health = await RunAsync("sites", "health", site.Id);
        var sent = await RunAsync("sites", "send-command", site.Id, "--kind", "revokeSessions", "--target", "bob");

        Assert.Equal(0, health.Exit);
        Assert.Equal(site.Id, Field(health.Output, "siteId"));
        Assert.Contains(server.Id, health.Output, StringComparison.Ordinal);
        Assert.Equal(0, sent.Exit);
        Assert.Contains("revokeSessions", sent.Output, StringComparison.Ordinal);
        Assert.Contains("bob", sent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnrolToken_PrintsTheInstallLine_ListsAndRevokes()
    {
        ApiResponse site = await Objects.SiteAsync(fixture.Admin);

        var created = await RunAsync("servers", "enrol-token", "--site", site.Id, "--valid-hours", "2");
        var listed = await RunAsync("servers", "enrol-tokens", "--site", site.Id, "--json");
        string tokenId = JsonDocument.Parse(listed.Output).RootElement[0].GetProperty("id").GetString()!;
        var revoked = await RunAsync("servers", "revoke-enrol-token", tokenId);
        var afterwards = await RunAsync("servers", "enrol-tokens", "--site", site.Id);

        Assert.Equal(0, created.Exit);
        Assert.Contains("ote_", Field(created.Output, "token"), StringComparison.Ordinal);
        Assert.StartsWith("pin-sha256:", Field(created.Output, "caPin"), StringComparison.Ordinal);
        string installLine = created.Output.Split('\n').Single(l => l.StartsWith("sh -c ", StringComparison.Ordinal));
        Assert.Contains("| sudo sh -s -- --management ", installLine, StringComparison.Ordinal);
        Assert.Contains("--token-file FILE --ca-pin pin-sha256:", installLine, StringComparison.Ordinal);
        Assert.Equal(0, revoked.Exit);
        Assert.Equal($"Revoked enrolment token {tokenId}.", revoked.Output.Trim());
        Assert.DoesNotContain(tokenId, afterwards.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Users_CredentialResetsAndSessionRevocation_ThroughTheCli()
    {
        ApiResponse user = await Objects.UserAsync(fixture.Admin);

        var tooShort = await RunWithInputAsync("short\n", "users", "set-password", user.Id, "--password-file", "-");
        var password = await RunWithInputAsync("a long enough password\n", "users", "set-password", user.Id, "--password-file", "-");
        var totpOn = await RunAsync("users", "enable-totp", user.Id);
        var totpOff = await RunAsync("users", "disable-totp", user.Id);
        var sessions = await RunAsync("users", "revoke-sessions", user.Id);
        var noFile = await RunAsync("users", "set-password", user.Id, "--password-file", "/nonexistent/password");

        Assert.Equal(ExitCodes.Failure, tooShort.Exit);
        Assert.Contains("password:", tooShort.Error, StringComparison.Ordinal);
        Assert.Equal(0, password.Exit);
        Assert.Equal($"Set the password of user {user.Id}.", password.Output.Trim());
        Assert.StartsWith("otpauth://", Field(totpOn.Output, "provisioningUri"), StringComparison.Ordinal);
        Assert.Equal(0, totpOff.Exit);
        Assert.Contains("TOTP off", totpOff.Output, StringComparison.Ordinal);
        Assert.Equal(0, sessions.Exit);
        Assert.Matches(@"^\d+$", Field(sessions.Output, "revokedTokens"));
        Assert.Equal(ExitCodes.DataError, noFile.Exit);
        Assert.Contains("/nonexistent/password", noFile.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AutomationClients_HealthThresholdsAndAgentCa_ThroughTheCli()
    {
        string name = ManagementAppFixture.Unique("ci");

        var created = await RunAsync("automation-clients", "create", "--name", name, "--role", "read-only", "--json");
        string clientId = JsonDocument.Parse(created.Output).RootElement.GetProperty("client").GetProperty("clientId").GetString()!;
        var listed = await RunAsync("automation-clients", "list");
        var deleted = await RunAsync("automation-clients", "delete", clientId);
        var updated = await RunAsync("health-thresholds", "update", "--set", "cpuHealthyMaximumPercent=90");
        var thresholds = await RunAsync("health-thresholds", "get");
        var badThreshold = await RunAsync("health-thresholds", "update", "--set", "checkInMinutes=0");
        var ca = await RunAsync("agent-ca", "get");

        Assert.Equal(0, created.Exit);
        Assert.NotEmpty(JsonDocument.Parse(created.Output).RootElement.GetProperty("clientSecret").GetString()!);
        Assert.Contains(name, listed.Output, StringComparison.Ordinal);
        Assert.StartsWith("clientId", listed.Output, StringComparison.Ordinal);
        Assert.Equal(0, deleted.Exit);
        Assert.Equal(0, updated.Exit);
        Assert.Equal("90", Field(thresholds.Output, "cpuHealthyMaximumPercent"));
        Assert.Equal(ExitCodes.Failure, badThreshold.Exit);
        Assert.Contains("checkInMinutes", badThreshold.Error, StringComparison.Ordinal);
        Assert.StartsWith("pin-sha256:", Field(ca.Output, "pin"), StringComparison.Ordinal);
    }
}
