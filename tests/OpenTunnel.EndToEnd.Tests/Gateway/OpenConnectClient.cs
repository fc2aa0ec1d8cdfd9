using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// Debian's openconnect 9.01 in the client namespace, connected to a <see cref="GatewayInstance"/>
/// with the test's own vpnc script: it never touches /etc/resolv.conf, records the environment
/// openconnect passes (one file per reason: connect, reconnect, disconnect) and configures the
/// TUN device, the split-include routes (or a full tunnel) and the split-exclude routes. A second
/// client in the same namespace can leave the routes alone, so that it does not take over the
/// first one's routes and remove them when it goes.
/// </summary>
/// <summary>What openconnect needs of a gateway under test: where it is, its certificate's pin, and a folder for the client's files.</summary>
public interface IOpenConnectServer
{
    NetworkTopology Topology { get; }

    TemporaryDirectory Directory { get; }

    /// <summary>The base64 SHA-256 of the certificate's public key, without the pin-sha256: prefix.</summary>
    string Pin { get; }

    string Url { get; }
}

public sealed class OpenConnectClient : IDisposable
{
    private const string Script = """
        #!/bin/sh
        exec 2>>"$OT_ENV_DIR/script.log"
        set -x
        record() {
          env | grep -E '^(INTERNAL_IP4_|INTERNAL_IP6_|CISCO_|TUNDEV=|VPNGATEWAY=|reason=)' | sort > "$OT_ENV_DIR/$reason.tmp"
          mv "$OT_ENV_DIR/$reason.tmp" "$OT_ENV_DIR/$reason"
        }
        case "$reason" in
          connect)
            ip link set dev "$TUNDEV" up mtu "$INTERNAL_IP4_MTU"
            ip addr add "$INTERNAL_IP4_ADDRESS/32" peer "$INTERNAL_IP4_ADDRESS" dev "$TUNDEV"
            if [ -n "$INTERNAL_IP6_ADDRESS" ]; then
              ip -6 addr add "$INTERNAL_IP6_ADDRESS/128" dev "$TUNDEV" nodad
            fi
            if [ "$OT_ROUTES" = 0 ]; then record; exit 0; fi
            i=0
            while [ "$i" -lt "${CISCO_IPV6_SPLIT_INC:-0}" ]; do
              eval net=\$CISCO_IPV6_SPLIT_INC_${i}_ADDR; eval len=\$CISCO_IPV6_SPLIT_INC_${i}_MASKLEN
              ip -6 route replace "$net/$len" dev "$TUNDEV"; i=$((i+1))
            done
            i=0
            while [ "$i" -lt "${CISCO_SPLIT_INC:-0}" ]; do
              eval net=\$CISCO_SPLIT_INC_${i}_ADDR; eval len=\$CISCO_SPLIT_INC_${i}_MASKLEN
              ip route replace "$net/$len" dev "$TUNDEV"; i=$((i+1))
            done
            if [ "${CISCO_SPLIT_INC:-0}" = 0 ]; then
              ip route replace 0.0.0.0/1 dev "$TUNDEV"; ip route replace 128.0.0.0/1 dev "$TUNDEV"
            fi
            i=0
            while [ "$i" -lt "${CISCO_SPLIT_EXC:-0}" ]; do
              eval net=\$CISCO_SPLIT_EXC_${i}_ADDR; eval len=\$CISCO_SPLIT_EXC_${i}_MASKLEN
              ip route replace "$net/$len" via "$VPNGATEWAY"; i=$((i+1))
            done
            record
            ;;
          *)
            record
            ;;
        esac
        exit 0
        """;

    private OpenConnectClient(TrackedProcess process, string environmentDirectory, string interfaceName)
    {
        Process = process;
        EnvironmentDirectory = environmentDirectory;
        InterfaceName = interfaceName;
    }

    public TrackedProcess Process { get; }

    public string EnvironmentDirectory { get; }

    public string InterfaceName { get; }

    /// <summary>The address the gateway leased (INTERNAL_IP4_ADDRESS at connect).</summary>
    public string Address => Environment()["INTERNAL_IP4_ADDRESS"];

    /// <summary>
    /// Starts openconnect with a token (<c>--token-mode=oidc --token-secret=@FILE</c>) and waits
    /// until the script has configured the tunnel.
    /// </summary>
    public static Task<OpenConnectClient> ConnectWithTokenAsync(IOpenConnectServer gateway, string tokenFile, string interfaceName, bool installRoutes = true) =>
        ConnectAsync(gateway, interfaceName, ["--token-mode=oidc", "--token-secret=@" + tokenFile], standardInput: null, waitForTunnel: true, installRoutes);

    /// <summary>Starts openconnect with a session cookie (<c>--cookie-on-stdin</c>), skipping the sign-in.</summary>
    public static Task<OpenConnectClient> ConnectWithCookieAsync(IOpenConnectServer gateway, string cookie, string interfaceName, bool waitForTunnel = true) =>
        ConnectAsync(gateway, interfaceName, ["--cookie-on-stdin"], cookie + "\n", waitForTunnel, installRoutes: false);

    /// <summary>Starts openconnect without waiting for the tunnel (for a connect that must fail).</summary>
    public static Task<OpenConnectClient> StartWithTokenAsync(IOpenConnectServer gateway, string tokenFile, string interfaceName) =>
        ConnectAsync(gateway, interfaceName, ["--token-mode=oidc", "--token-secret=@" + tokenFile], standardInput: null, waitForTunnel: false, installRoutes: false);

    /// <summary>
    /// Runs <c>openconnect --authenticate</c> (sign-in only, no tunnel) and returns what it printed
    /// (COOKIE=..., on success) and its exit code.
    /// </summary>
    public static CommandResult Authenticate(IOpenConnectServer gateway, string tokenFile) =>
        gateway.Topology.Exec(gateway.Topology.Client, "openconnect",
            ["--authenticate", "--non-inter", "--token-mode=oidc", "--token-secret=@" + tokenFile, "--servercert", "pin-sha256:" + gateway.Pin, gateway.Url],
            TimeSpan.FromSeconds(20));

    /// <summary>Runs <see cref="Authenticate"/> and returns the session cookie it printed; fails with openconnect's output when the sign-in is refused.</summary>
    public static string AuthenticateForCookie(IOpenConnectServer gateway, string tokenFile)
    {
        var result = Authenticate(gateway, tokenFile);
        Assert.True(result.Succeeded, $"The sign-in was refused:\n{result.StandardOutput}{result.StandardError}");
        string printed = result.StandardOutput;
        int start = printed.IndexOf("COOKIE='", StringComparison.Ordinal) + "COOKIE='".Length;
        return printed[start..printed.IndexOf('\'', start)];
    }

    /// <summary>
    /// Runs <c>openconnect --authenticate --passwd-on-stdin</c> against the gateway's token form
    /// (URL path /token): the token goes in the form's password field, as clients that cannot
    /// answer a Bearer challenge send it (openconnect reads at most 1024 characters there).
    /// </summary>
    public static CommandResult AuthenticateWithForm(IOpenConnectServer gateway, string token) =>
        gateway.Topology.Exec(gateway.Topology.Client, "openconnect",
            ["--authenticate", "--non-inter", "--passwd-on-stdin", "--servercert", "pin-sha256:" + gateway.Pin, gateway.Url + "/token"],
            TimeSpan.FromSeconds(20), token + "\n");

    /// <summary>curl from <paramref name="topology"/>'s client namespace bound to this client's tunnel device: the packets go into this tunnel whatever the routes say.</summary>
    public CommandResult CurlThroughTunnel(NetworkTopology topology, string address, int port) =>
        topology.Exec(topology.Client, "curl", ["-s", "-m", "3", "--interface", InterfaceName, $"http://{address}:{port}/"], TimeSpan.FromSeconds(15));

    /// <summary>One ping from <paramref name="topology"/>'s client namespace through this client's tunnel device.</summary>
    public CommandResult PingThroughTunnel(NetworkTopology topology, string address) =>
        topology.Exec(topology.Client, "ping", ["-n", "-c", "1", "-W", "3", "-I", InterfaceName, address], TimeSpan.FromSeconds(15));

    /// <summary>The environment openconnect gave the script for <paramref name="reason"/>.</summary>
    public IReadOnlyDictionary<string, string> Environment(string reason = "connect")
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in File.ReadAllLines(Path.Combine(EnvironmentDirectory, reason)))
        {
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
        }

        return values;
    }

    /// <summary>Waits until the script was called with <paramref name="reason"/>; throws with openconnect's output if not.</summary>
    public async Task WaitForScriptAsync(string reason, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!File.Exists(Path.Combine(EnvironmentDirectory, reason)))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"openconnect did not run its script with reason={reason} within {timeout.TotalSeconds:0} s. Output:\n{Process.Output}");
            }

            await Task.Delay(50);
        }
    }

    public void Dispose() => Process.Dispose();

    /// <summary>
    /// The test's vpnc script in the gateway's folder (written once): give it to openconnect with
    /// <c>--script</c>, and <c>OT_ENV_DIR</c> (where it records the environment per reason) and
    /// <c>OT_ROUTES</c> (1: install the routes) in its environment.
    /// </summary>
    public static string ScriptFile(IOpenConnectServer gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        string script = gateway.Directory.File("vpnc-script.sh");
        if (!File.Exists(script))
        {
            File.WriteAllText(script, Script + "\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return script;
    }

    /// <summary>
    /// Starts openconnect without a token on the gateway's browser sign-in path (<c>/sso</c>) with
    /// <c>--external-browser=</c><paramref name="browser"/> and <c>--dump-http-traffic</c> (its
    /// output shows the requests it sent); it does not wait for the tunnel.
    /// </summary>
    public static Task<OpenConnectClient> StartWithBrowserAsync(IOpenConnectServer gateway, string browser, string interfaceName) =>
        ConnectAsync(gateway, interfaceName, ["--external-browser=" + browser, "--dump-http-traffic"], standardInput: null, waitForTunnel: false, installRoutes: true, path: "/sso");

    private static async Task<OpenConnectClient> ConnectAsync(IOpenConnectServer gateway, string interfaceName, IReadOnlyList<string> authentication, string? standardInput, bool waitForTunnel,
        bool installRoutes = true, string path = "")
    {
        string script = ScriptFile(gateway);
        string environment = gateway.Directory.Subdirectory("env-" + interfaceName + "-" + Guid.NewGuid().ToString("N")[..6]);
        var process = gateway.Topology.Start(gateway.Topology.Client, "openconnect",
            ["-v", "--non-inter", .. authentication, "--servercert", "pin-sha256:" + gateway.Pin, "--script", script, "--interface", interfaceName, gateway.Url + path],
            standardInput,
            new Dictionary<string, string> { ["OT_ENV_DIR"] = environment, ["OT_ROUTES"] = installRoutes ? "1" : "0" });
        var client = new OpenConnectClient(process, environment, interfaceName);
        if (waitForTunnel)
        {
            await client.WaitForScriptAsync("connect", TimeSpan.FromSeconds(20));
        }

        return client;
    }
}
