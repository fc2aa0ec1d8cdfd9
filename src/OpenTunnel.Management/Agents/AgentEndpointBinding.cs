using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace OpenTunnel.Management.Agents;

/// <summary>Where the agent endpoint listens once Kestrel has bound it (the real port when port 0 was asked for).</summary>
public sealed class AgentEndpointBinding
{
    internal ListenOptions? Listen { get; set; }

    /// <summary>The bound address; null when the endpoint is off or not bound yet.</summary>
    public IPEndPoint? EndPoint => Listen?.IPEndPoint is { Port: > 0 } bound ? bound : null;
}
