using OpenTunnel.Agent.Protocol;
using OpenTunnel.Gateway.Contracts.Control;

namespace OpenTunnel.Agent.AccessLog;

/// <summary>The gateway's ended-session records as the agent link carries them.</summary>
public static class AccessRecords
{
    /// <summary>The access record of <paramref name="ended"/>, with the agent queue's <paramref name="sequence"/>; times in UTC.</summary>
    public static AccessRecord From(EndedSessionRecord ended, long sequence)
    {
        ArgumentNullException.ThrowIfNull(ended);
        return new AccessRecord(sequence, ended.RecordId, ended.SessionId, ended.User, ended.Subject, ended.DeviceId, ended.Client, ended.Address, ended.Address6,
            ended.SignedInAt.UtcDateTime, ended.EndedAt.UtcDateTime, ended.Reason, ended.BytesIn, ended.BytesOut);
    }
}
