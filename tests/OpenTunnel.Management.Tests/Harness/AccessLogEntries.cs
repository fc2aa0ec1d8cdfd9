using Microsoft.Extensions.DependencyInjection;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Tests.Harness;

/// <summary>Access records stored as the agent link's ingest stores them, for the tests that read the access log.</summary>
public static class AccessLogEntries
{
    public static AccessLogEntry Entry(string user, DateTime started, DateTime ended, string? device = null, Guid? server = null, string? site = null) => new()
    {
        RecordId = Guid.NewGuid(),
        ServerId = server ?? Guid.NewGuid(),
        ServerName = "gw1",
        SiteId = Guid.NewGuid(),
        SiteName = site ?? "paris",
        DeviceId = device,
        GatewaySessionId = 1,
        UserName = user,
        ClientAddress = "198.18.1.2:40000",
        Address = "198.18.128.7",
        StartedAt = started,
        EndedAt = ended,
        Reason = "client disconnected",
        BytesIn = 1000,
        BytesOut = 2000,
        ReceivedAt = ended,
    };

    public static async Task StoreAsync(ManagementApp app, params AccessLogEntry[] entries)
    {
        ArgumentNullException.ThrowIfNull(app);
        await using AsyncServiceScope scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ManagementDbContext>();
        db.AccessLog.AddRange(entries);
        await db.SaveChangesAsync();
    }
}
