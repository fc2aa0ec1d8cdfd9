namespace OpenTunnel.Bench.Load.Sessions;

/// <summary>What all sessions of a run did, counted with Interlocked by the sessions themselves.</summary>
public sealed class LoadCounters
{
    public long KeepalivesSent;
    public long KeepalivesReceived;
    public long DpdRequestsSent;
    public long DpdResponsesReceived;
    public long DpdRequestsAnswered;
    public long OtherFramesReceived;
    public long ServerDisconnects;
    public long ConnectionsLost;
    public long ProtocolErrors;
    public long SendErrors;
    public long PingsSent;
    public long PingRepliesReceived;
}
