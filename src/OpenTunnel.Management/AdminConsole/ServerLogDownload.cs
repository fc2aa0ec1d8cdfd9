using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.AdminConsole;

/// <summary>
/// The logs a server's agent collected (a collectLogs command that succeeded), as a text file to
/// download from the server's page. Both roles may read them, as both read the command's output
/// through GET /api/v1/servers/{id}/commands/{commandId}.
/// </summary>
public static class ServerLogDownload
{
    public static string Address(Guid serverId, Guid commandId) => $"{ConsoleSetup.BasePath}/servers/{serverId}/logs/{commandId}";

    public static WebApplication MapServerLogDownload(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(ConsoleSetup.BasePath + "/servers/{serverId:guid}/logs/{commandId:guid}", DownloadAsync)
            .RequireAuthorization(ConsoleSetup.ReadPolicy).ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> DownloadAsync(Guid serverId, Guid commandId, ManagementDbContext db, CancellationToken ct)
    {
        var found = await db.AgentCommands.AsNoTracking()
            .Where(c => c.Id == commandId && c.ServerId == serverId && c.Kind == AgentCommandKind.CollectLogs)
            .Join(db.Servers, c => c.ServerId, s => s.Id, (c, s) => new { c.State, c.CompletedAt, c.Output, s.Name })
            .FirstOrDefaultAsync(ct);
        if (found is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such log collection.", detail: $"Server {serverId} has no collectLogs command {commandId}.");
        }

        if (found.State != AgentCommandState.Succeeded)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No logs to download.", detail: $"The log collection is {found.State.ToString().ToLowerInvariant()}: the agent has not sent logs.");
        }

        string stamp = (found.CompletedAt ?? DateTime.UnixEpoch).ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return TypedResults.File(Encoding.UTF8.GetBytes(found.Output ?? string.Empty), "text/plain; charset=utf-8", $"opentunnel-logs-{found.Name}-{stamp}.txt");
    }
}
