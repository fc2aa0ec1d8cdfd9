using Microsoft.EntityFrameworkCore;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Data;

namespace OpenTunnel.Management.Access;

/// <summary>
/// Delivers access withdrawals through the agent channel: a <see cref="AgentCommandKind.RevokeSessions"/>
/// command for every server whose agent holds a valid certificate, stored in the database and
/// announced to the waiting long polls at once. Each agent ends the sessions of that user or device
/// at its gateway and revokes their cookies (docs/agent.md), and reports the result on the command.
/// A server that is offline receives the command when its agent is back.
/// </summary>
internal sealed class AgentChannelGateways(ManagementDbContext db, TimeProvider clock, ChangeFeed feed) : IGatewaySessions
{
    /// <summary>The actor the commands and their audit entries name.</summary>
    public const string Actor = "continuous-access-evaluation";

    public async Task<int> TerminateAsync(string target, CancellationToken cancellationToken)
    {
        DateTime now = clock.GetUtcNow().UtcDateTime;
        List<Guid> servers = await db.AgentCertificates
            .Where(c => c.RevokedAt == null && c.NotAfter > now)
            .Select(c => c.ServerId)
            .Distinct()
            .ToListAsync(cancellationToken);
        var input = new AgentCommandInput(AgentCommandKind.RevokeSessions, target);
        foreach (Guid server in servers)
        {
            AgentAdministrationEndpoints.Queue(db, server, input, Actor, now);
        }

        await db.SaveChangesAsync(cancellationToken);
        feed.Notify();
        return servers.Count;
    }
}
