using OpenTunnel.Agent.Configuration;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Telemetry;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// What the agent's loops share: the identity (replaced by <see cref="RenewalLoop"/>), the
/// configuration the gateway runs and the drain state (taken by <see cref="FollowLoop"/>), and the
/// last probe (<see cref="ProbeLoop"/>); <see cref="TelemetryLoop"/> reports them all. Each is one
/// reference or flag written by one loop and read by the others, with volatile reads and writes
/// (<see cref="Volatile"/>) on the properties' own backing fields.
/// </summary>
public sealed class AgentState(AgentIdentity identity, AppliedConfiguration? applied) : IDisposable
{
    /// <summary>The key and certificate the agent presents; the renewed one once renewal stored it.</summary>
    public AgentIdentity Identity { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); } = identity;

    /// <summary>The configuration the gateway runs, as last applied (null before the first).</summary>
    public AppliedConfiguration? Applied { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); } = applied;

    /// <summary>Whether the service asked this server to drain (the gateway keeps no state across its restarts).</summary>
    public bool Draining { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>Whether the last request to the management service was answered (its readiness check); false until the first.</summary>
    public bool LinkUp { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>The result of the last check of the internal URL; null while none is configured.</summary>
    public ProbeResult? LastProbe { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>The site's internal URL to probe, from the applied configuration; null when none or not absolute.</summary>
    public Uri? ProbeUrl =>
        Applied?.Configuration.InternalProbeUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) ? uri : null;

    public void Dispose() => Identity.Dispose();
}
