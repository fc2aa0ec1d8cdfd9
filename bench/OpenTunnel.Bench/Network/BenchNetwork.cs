using System.Globalization;
using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Network;

/// <summary>
/// The benchmark's network: the project's standard namespace topology (docs/testing.md) plus
/// what the benchmark adds inside its own namespaces: PAT for the VPN pool, extra client
/// addresses for the session scale, a UDP block for the TLS-only phase and the corp host's
/// route back for the direct path. Nothing in the root namespace is changed.
/// </summary>
internal sealed class BenchNetwork : IDisposable
{
    public const string CorpSubnet = NetworkTopology.CorpSubnet;
    public const string DnsServer = "198.18.2.53";
    public const string DnsDomain = "bench.invalid";

    /// <summary>The pool of the openconnect phases, as in the project's tests.</summary>
    public const string PoolNetwork = "198.18.128.0";
    public const int PoolPrefixLength = 24;

    /// <summary>The pool of the session-scale phase: 32,766 addresses, room for 10,000 sessions.</summary>
    public const int ScalePoolPrefixLength = 17;

    /// <summary>Everything a pool of this benchmark can hold; only traffic from here is translated.</summary>
    public const string PoolSupernet = "198.18.128.0/17";

    private const string NatTable = "otbenchnat";
    private const string BlockTable = "otbenchblock";
    private bool _directRouting;

    private BenchNetwork(NetworkTopology topology, int port, IReadOnlyList<string> extraClientAddresses)
    {
        Topology = topology;
        Port = port;
        ExtraClientAddresses = extraClientAddresses;
    }

    public NetworkTopology Topology { get; }

    /// <summary>The TCP and UDP port every gateway listens on.</summary>
    public int Port { get; }

    public string GatewayPublicAddress => NetworkTopology.GatewayPublicAddress;

    public string CorpAddress => NetworkTopology.CorpAddress;

    /// <summary>Client addresses besides 198.18.1.2, for the load generator's many connections.</summary>
    public IReadOnlyList<string> ExtraClientAddresses { get; }

    /// <summary>The client's TUN device for openconnect.</summary>
    public string ClientTun => Topology.Prefix + "t";

    /// <summary>The prefix of the servers' TUN devices (ocserv appends a number).</summary>
    public string ServerTunPrefix => Topology.Prefix + "v";

    /// <summary>Builds the topology with <paramref name="extraClientAddresses"/> more addresses in the client namespace (from 198.18.1.100).</summary>
    public static BenchNetwork Create(int port, int extraClientAddresses)
    {
        var topology = NetworkTopology.Create();
        try
        {
            // A namespace shares the host's files: the client's own resolv.conf keeps any DNS change away from the host's.
            topology.CreateResolvConf(topology.Client);
            var extra = new List<string>();
            string clientInterface = topology.Prefix + "c0";
            for (int i = 0; i < extraClientAddresses; i++)
            {
                string address = string.Create(CultureInfo.InvariantCulture, $"198.18.1.{100 + i}");
                topology.Exec(topology.Client, "ip", "addr", "add", address + "/24", "dev", clientInterface).EnsureSuccess();
                extra.Add(address);
            }

            // PAT for the pools only: the direct path must stay plain routing.
            Nft(topology, $$"""
                table ip {{NatTable}} {
                  chain post {
                    type nat hook postrouting priority srcnat; policy accept;
                    ip saddr {{PoolSupernet}} oifname "{{topology.GatewayCorpInterface}}" masquerade
                  }
                }
                """);
            return new BenchNetwork(topology, port, extra);
        }
        catch
        {
            topology.Dispose();
            throw;
        }
    }

    /// <summary>Drops UDP to the gateway's port, so openconnect's DTLS fails and data stays on TLS.</summary>
    public void BlockUdp() => Nft(Topology, $$"""
        table inet {{BlockTable}} {
          chain input {
            type filter hook input priority filter; policy accept;
            iifname "{{Topology.GatewayPublicInterface}}" udp dport {{Port}} counter drop
          }
        }
        """);

    public void UnblockUdp() => Topology.Exec(Topology.Gateway, "nft", "delete", "table", "inet", BlockTable);

    /// <summary>The direct path: the corp host routes the client subnet back through the gateway, no tunnel, no PAT.</summary>
    public void SetDirectRouting(bool enabled)
    {
        if (enabled == _directRouting)
        {
            return;
        }

        if (enabled)
        {
            Topology.EnableDirectRouting();
        }
        else
        {
            Topology.DisableDirectRouting();
        }

        _directRouting = enabled;
    }

    /// <summary>The PIDs of every process in the gateway namespace: the server under test and its children, nothing else runs there.</summary>
    public IReadOnlyList<int> GatewayProcessIds() => NetworkTopology.ProcessIds(Topology.Gateway);

    public void Dispose() => Topology.Dispose();

    private static void Nft(NetworkTopology topology, string rules) =>
        topology.Exec(topology.Gateway, "nft", ["-f", "-"], Command.DefaultTimeout, rules).EnsureSuccess();
}
