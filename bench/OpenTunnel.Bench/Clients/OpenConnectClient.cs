using System.Globalization;
using OpenTunnel.Bench.Network;
using OpenTunnel.Bench.Servers;
using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Clients;

/// <summary>
/// Debian's openconnect 9.01 in the client namespace, the same client for every server, with a
/// script of the benchmark's own (the stock vpnc-script would rewrite resolv.conf and costs
/// time): it brings the TUN device up, adds the split-include routes and marks the moment. It
/// stops on SIGINT, as on a user's Ctrl-C: it says goodbye to the server and exits.
/// </summary>
internal sealed class OpenConnectClient(TrackedProcess process, string markFile) : TunnelClientProcess(process, "openconnect", stopSignal: 2)
{
    /// <summary>The line openconnect prints when the DTLS data channel is up (dtls.c).</summary>
    public const string DtlsEstablished = "Established DTLS connection";

    /// <summary>True once the script configured the TUN device (openconnect does that after its first DTLS attempt resolved).</summary>
    public override bool TunnelConfigured => File.Exists(markFile);

    public override bool DtlsUp => Output.Contains(DtlsEstablished, StringComparison.Ordinal);

    /// <summary>True when the server offered no DTLS: openconnect then says "Configured as ..., with SSL connected and DTLS disabled".</summary>
    public override bool DtlsNotOffered => Output.Contains("DTLS disabled", StringComparison.Ordinal);

    /// <summary>Writes the connect script into <paramref name="folder"/> and returns its path; the script touches <paramref name="markFile"/> when the tunnel is configured.</summary>
    public static string WriteScript(string folder, string markFile)
    {
        string path = Path.Combine(folder, "vpnc-script");
        File.WriteAllText(path, $$"""
            #!/bin/sh
            # Configures the tunnel openconnect hands over; leaves DNS alone (the host's resolv.conf is shared).
            case "$reason" in
              connect)
                ip link set dev "$TUNDEV" up mtu "${INTERNAL_IP4_MTU:-1300}"
                ip addr add "$INTERNAL_IP4_ADDRESS/32" dev "$TUNDEV"
                i=0
                while [ "$i" -lt "${CISCO_SPLIT_INC:-0}" ]; do
                  eval a=\$CISCO_SPLIT_INC_${i}_ADDR; eval m=\$CISCO_SPLIT_INC_${i}_MASKLEN
                  ip route replace "$a/$m" dev "$TUNDEV"
                  i=$((i+1))
                done
                : > "{{markFile}}"
                ;;
            esac
            exit 0

            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return path;
    }

    /// <summary>Starts openconnect against <paramref name="server"/>; the previous mark file is removed first.</summary>
    public static OpenConnectClient Start(BenchNetwork network, IVpnServer server, ServerCertificate certificate, string script, string markFile)
    {
        File.Delete(markFile);
        string[] arguments =
        [
            "--protocol=anyconnect", "--non-inter",
            "--servercert", certificate.OpenConnectPin,
            "--script", script,
            "--interface", network.ClientTun,
            .. server.Credentials.OpenConnectArguments,
            $"https://{network.GatewayPublicAddress}:{network.Port.ToString(CultureInfo.InvariantCulture)}/",
        ];
        var process = network.Topology.Start(network.Topology.Client, "openconnect", arguments, server.Credentials.OpenConnectInput);
        return new OpenConnectClient(process, markFile);
    }
}
