using System.Net;
using System.Text.Json;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Harness;

/// <summary>The revokeSessions commands the management service queued for a server's agent, read through the admin API.</summary>
public static class RevokeCommands
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    /// <summary>Waits up to <see cref="Deadline"/> for exactly one revokeSessions command for <paramref name="target"/> on the server.</summary>
    public static async Task WaitForAsync(HttpClient admin, string serverId, string target)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < Deadline)
        {
            if ((await ListAsync(admin, serverId, target)).Count == 1)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"No revokeSessions command for {target} reached server {serverId} within {Deadline.TotalSeconds} s.");
    }

    public static async Task<List<JsonElement>> ListAsync(HttpClient admin, string serverId, string target)
    {
        ApiResponse commands = await admin.ReadAsync($"/api/v1/servers/{serverId}/commands");
        Assert.Equal(HttpStatusCode.OK, commands.Status);
        return commands.Json.EnumerateArray()
            .Where(c => c.GetProperty("kind").GetString() == "revokeSessions" && c.GetProperty("target").GetString() == target)
            .ToList();
    }
}
