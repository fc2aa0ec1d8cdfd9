using System.Net;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Sessions;

namespace OpenTunnel.Gateway.Firewall;

/// <summary>
/// The gateway's nftables table together with the per-session rules it holds: the table is
/// rewritten (atomically, with every session's elements) only when the table-wide policy changes;
/// a session's connect, end, or a new set of group policies changes only the elements concerned,
/// one nft transaction each, so running sessions are never dropped. Every session with an address
/// is tracked, also while no group policy is listed, so that policies applied later hold the
/// sessions that run then. One change at a time: a session's connect or end waits its turn without
/// holding a thread (it may come from a socket-engine thread), and nft runs off the caller's thread.
/// </summary>
public sealed class SessionFirewall : ISessionFirewall
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly NftablesFirewall _firewall;
    private readonly string _tunDevice;
    private readonly Dictionary<long, (GatewaySession Session, SessionRules Rules)> _sessions = [];
    private TunnelSettings _tunnel;
    private NetworkOptions _network;

    public SessionFirewall(NftablesFirewall firewall, string tunDevice, TunnelSettings tunnel, NetworkOptions network)
    {
        _firewall = firewall;
        _tunDevice = tunDevice;
        _tunnel = tunnel;
        _network = network;
    }

    public NftablesFirewall Table => _firewall;

    /// <summary>Installs the table for a configuration, and the rules of every tracked session under it.</summary>
    public void Apply(TunnelSettings tunnel, NetworkOptions network)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        ArgumentNullException.ThrowIfNull(network);
        _gate.Wait();
        try
        {
            var changed = new List<(long Id, SessionRules Before, SessionRules After)>();
            foreach ((long id, (GatewaySession session, SessionRules rules)) in _sessions)
            {
                SessionRules after = RulesOf(session, tunnel, network);
                if (!Same(rules, after))
                {
                    changed.Add((id, rules, after));
                }
            }

            var all = new List<SessionRules>(_sessions.Count);
            foreach ((long id, (GatewaySession _, SessionRules rules)) in _sessions)
            {
                all.Add(changed.Find(c => c.Id == id) is { After: { } after } ? after : rules);
            }

            FirewallPolicy policy = FirewallPolicy.From(_tunDevice, tunnel, network);
            if (!_firewall.Apply(policy, all) && policy.PerSession)
            {
                // The table stays; only the sessions whose routes changed get new elements.
                foreach ((long _, SessionRules before, SessionRules after) in changed)
                {
                    _firewall.Run(NftablesRuleset.SessionElements(_firewall.Table, before, add: false) + NftablesRuleset.SessionElements(_firewall.Table, after, add: true));
                }
            }

            foreach ((long id, SessionRules _, SessionRules after) in changed)
            {
                _sessions[id] = (_sessions[id].Session, after);
            }

            _tunnel = tunnel;
            _network = network;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task AdmitAsync(GatewaySession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        await _gate.WaitAsync();
        try
        {
            if (session.Ended)
            {
                return;
            }

            SessionRules rules = RulesOf(session, _tunnel, _network);
            bool known = _sessions.TryGetValue(session.Id, out var existing);
            if (known && Same(existing.Rules, rules))
            {
                return;
            }

            if (_tunnel.PerSessionPolicies)
            {
                string table = _firewall.Table;
                await _firewall.RunAsync((known ? NftablesRuleset.SessionElements(table, existing.Rules, add: false) : string.Empty) + NftablesRuleset.SessionElements(table, rules, add: true));
            }

            _sessions[session.Id] = (session, rules);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task ReleaseAsync(GatewaySession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        await _gate.WaitAsync();
        try
        {
            if (_sessions.Remove(session.Id, out var existing) && _tunnel.PerSessionPolicies)
            {
                await _firewall.RunAsync(NftablesRuleset.SessionElements(_firewall.Table, existing.Rules, add: false));
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The session's rules under a configuration. A session of an unmanaged device that the
    /// configuration gives no access reaches nothing (it is ended by the next sweep). Without group
    /// policies (the table is per session for unmanaged access only), a managed session is held as
    /// the table-wide rules would hold it: open, or with <see cref="NetworkOptions.RestrictToRoutes"/> to the routes.
    /// </summary>
    private static SessionRules RulesOf(GatewaySession session, TunnelSettings tunnel, NetworkOptions network)
    {
        IPAddress? address4 = session.IPv4Address == 0 ? null : IPv4AddressPool.ToAddress(session.IPv4Address);
        IPAddress? address6 = session.IPv6Address.ToAddressOrNull();
        if (tunnel.PolicyFor(session.Groups, session.Unmanaged) is not { } policy)
        {
            return new SessionRules(address4, address6, [], []);
        }

        return !session.Unmanaged && tunnel.GroupPolicies.Count == 0 && !network.RestrictToRoutes
            ? new SessionRules(address4, address6, null, [])
            : SessionRules.For(address4, address6, policy, network.RestrictToRoutes);
    }

    private static bool Same(SessionRules a, SessionRules b) => a.Elements().SequenceEqual(b.Elements());
}
