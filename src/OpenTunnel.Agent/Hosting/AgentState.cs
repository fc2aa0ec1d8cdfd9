using OpenTunnel.Agent.Configuration;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Telemetry;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// What the agent's loops share: the identity (replaced by <see cref="RenewalLoop"/>), the
/// configuration the gateway runs and the drain state (taken by <see cref="FollowLoop"/>), and the
/// last probe (<see cref="ProbeLoop"/>); <see cref="TelemetryLoop"/> reports them all. Each is one
/// reference or flag written by one loop and read by the others.
/// </summary>
public sealed class AgentState(AgentIdentity identity, AppliedConfiguration? applied) : IDisposable
{
    private volatile AgentIdentity _identity = identity;
    private volatile AppliedConfiguration? _applied = applied;
    private volatile ProbeResult? _lastProbe;
    private volatile bool _draining;

    /// <summary>The key and certificate the agent presents; the renewed one once renewal stored it.</summary>
    public AgentIdentity Identity
    {
        get => _identity;
        set => _identity = value;
    }

    /// <summary>The configuration the gateway runs, as last applied (null before the first).</summary>
    public AppliedConfiguration? Applied
    {
        get => _applied;
        set => _applied = value;
    }

    /// <summary>Whether the service asked this server to drain (the gateway keeps no state across its restarts).</summary>
    public bool Draining
    {
        get => _draining;
        set => _draining = value;
    }

    /// <summary>The result of the last check of the internal URL; null while none is configured.</summary>
    public ProbeResult? LastProbe
    {
        get => _lastProbe;
        set => _lastProbe = value;
    }

    /// <summary>The site's internal URL to probe, from the applied configuration; null when none or not absolute.</summary>
    public Uri? ProbeUrl =>
        _applied?.Configuration.InternalProbeUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) ? uri : null;

    public void Dispose() => _identity.Dispose();
}
