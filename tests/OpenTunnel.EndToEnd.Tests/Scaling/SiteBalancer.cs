using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Scaling;

/// <summary>
/// Debian's HAProxy and nginx in the balancer namespace, run from the shipped configurations in
/// deploy/loadbalancer with only the addresses, ports and file paths changed: configuration, pid
/// and log files in a temporary folder, never a system service, both ended by PID.
/// </summary>
public sealed partial class SiteBalancer : IDisposable
{
    private const string StreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so";

    private SiteBalancer(TrackedProcess haproxy, TrackedProcess nginx, string folder)
    {
        HaProxy = haproxy;
        Nginx = nginx;
        Folder = folder;
    }

    public TrackedProcess HaProxy { get; }

    public TrackedProcess Nginx { get; }

    public string Folder { get; }

    /// <summary>Fails naming the package when nginx's stream module (Debian ships it apart from nginx) is missing.</summary>
    public static void RequireStreamModule()
    {
        if (!File.Exists(StreamModule))
        {
            throw new PrerequisiteMissingException(
                "nginx's stream module is not installed: apt-get install libnginx-mod-stream (the README's test command installs it).");
        }
    }

    /// <summary>
    /// Starts both in <paramref name="ns"/> for <paramref name="gateways"/> gateways listening on
    /// <paramref name="gatewayPort"/>; clients reach TLS on <paramref name="publicAddress"/>:<paramref name="gatewayPort"/>
    /// and gateway k's DTLS on <paramref name="publicAddress"/>:<paramref name="firstUdpPort"/>+k.
    /// </summary>
    public static async Task<SiteBalancer> StartAsync(string ns, string folder, string publicAddress, int gatewayPort, int gateways, int firstUdpPort)
    {
        string deploy = Path.Combine(Checkout.Root(), "deploy", "loadbalancer");
        string haproxyConfig = Path.Combine(folder, "haproxy.cfg");
        string text = await File.ReadAllTextAsync(Path.Combine(deploy, "haproxy.cfg"));
        text = text.Replace("bind :443", $"bind {publicAddress}:{gatewayPort}", StringComparison.Ordinal);
        // HAProxy raises its descriptor limit to about 2 × maxconn at start and refuses to start when it
        // cannot; a test machine (a container) may allow fewer descriptors than a site's balancer has.
        Require(text, "maxconn 200000", "haproxy.cfg no longer says maxconn 200000");
        text = text.Replace("maxconn 200000", "maxconn 2000", StringComparison.Ordinal);
        // The runtime API, for the servers' states (show stat).
        text = text.Replace("\nglobal\n", $"\nglobal\n    stats socket {Path.Combine(folder, "haproxy.sock")} mode 600\n", StringComparison.Ordinal);
        text = GatewayServer().Replace(text, m => string.Create(CultureInfo.InvariantCulture,
            $"server gw{m.Groups[1].Value} {BalancedSiteNetwork.GatewayAddress(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 1)}:{gatewayPort}"));
        Require(text, $"{BalancedSiteNetwork.GatewayAddress(gateways - 1)}:{gatewayPort}", "haproxy.cfg lists fewer gateways than the test runs");
        await File.WriteAllTextAsync(haproxyConfig, text);

        string nginxConfig = Path.Combine(folder, "nginx.conf");
        text = await File.ReadAllTextAsync(Path.Combine(deploy, "nginx-stream.conf"));
        text = text.Replace("/run/nginx-opentunnel.pid", Path.Combine(folder, "nginx.pid"), StringComparison.Ordinal)
            .Replace("/var/log/nginx/opentunnel-dtls.log", Path.Combine(folder, "nginx-dtls.log"), StringComparison.Ordinal)
            .Replace("error_log stderr", "error_log " + Path.Combine(folder, "nginx-error.log"), StringComparison.Ordinal);
        text = UdpServer().Replace(text, m =>
        {
            int k = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 1;
            return string.Create(CultureInfo.InvariantCulture,
                $"server {{ listen {publicAddress}:{firstUdpPort + k} udp reuseport; proxy_pass {BalancedSiteNetwork.GatewayAddress(k)}:{gatewayPort}; }}");
        });
        Require(text, $"{publicAddress}:{firstUdpPort + gateways - 1} udp", "nginx-stream.conf has fewer udp ports than the test runs gateways");
        await File.WriteAllTextAsync(nginxConfig, text);

        TrackedProcess? haproxy = null;
        try
        {
            // -db: in the foreground, not a daemon, so the PID the test holds is HAProxy's own.
            haproxy = BalancedSiteNetwork.Start(ns, "haproxy", ["-db", "-f", haproxyConfig, "-p", Path.Combine(folder, "haproxy.pid")]);
            var nginx = BalancedSiteNetwork.Start(ns, "nginx", ["-c", nginxConfig, "-e", Path.Combine(folder, "nginx-error.log"), "-g", "daemon off;"]);
            var balancer = new SiteBalancer(haproxy, nginx, folder);
            await Task.Delay(1500);
            if (haproxy.HasExited || nginx.HasExited)
            {
                string log = File.Exists(Path.Combine(folder, "nginx-error.log")) ? await File.ReadAllTextAsync(Path.Combine(folder, "nginx-error.log")) : string.Empty;
                balancer.Dispose();
                throw new InvalidOperationException($"A balancer did not start.\nhaproxy:\n{haproxy.Output}\nnginx:\n{nginx.Output}\n{log}");
            }

            return balancer;
        }
        catch
        {
            haproxy?.Dispose();
            throw;
        }
    }

    /// <summary>Waits until HAProxy's runtime API shows <paramref name="server"/> of the gateways' backend in <paramref name="state"/> (UP, DOWN).</summary>
    public async Task WaitForServerStateAsync(string server, string state, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        string now = "unknown";
        while (DateTime.UtcNow < deadline)
        {
            using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(Folder, "haproxy.sock")));
                }
                catch (SocketException e)
                {
                    // HAProxy may not serve its runtime API yet (seen at start under load): ask again.
                    now = "unreachable runtime API: " + e.Message;
                    await Task.Delay(200);
                    continue;
                }

                await socket.SendAsync(Encoding.ASCII.GetBytes("show stat\n"));
                var answer = new StringBuilder();
                var buffer = new byte[65536];
                int read;
                while ((read = await socket.ReceiveAsync(buffer)) > 0)
                {
                    answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                // CSV: pxname, svname, ... and the 18th column is the status (UP, DOWN, or "UP 1/2" on the way).
                string? line = answer.ToString().Split('\n').FirstOrDefault(l => l.StartsWith($"opentunnel_gateways,{server},", StringComparison.Ordinal));
                now = line?.Split(',')[17] ?? "missing";
            }

            if (now == state)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"HAProxy did not show {server} {state} within {timeout.TotalSeconds:0} s (it shows {now}):\n{HaProxy.Output}");
    }

    public void Dispose()
    {
        HaProxy.Signal(15);
        Nginx.Signal(15);
        HaProxy.Dispose();
        Nginx.Dispose();
        File.WriteAllText(Path.Combine(Folder, "haproxy.log"), HaProxy.Output);
    }

    private static void Require(string text, string part, string problem)
    {
        if (!text.Contains(part, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(problem + ": " + part);
        }
    }

    [GeneratedRegex(@"server gw(\d) 192\.0\.2\.1\d:443")]
    private static partial Regex GatewayServer();

    [GeneratedRegex(@"server \{ listen 443(\d) udp reuseport; proxy_pass 192\.0\.2\.1\d:443; \}")]
    private static partial Regex UdpServer();
}
