using System.Globalization;
using System.Net.Sockets;
using System.Text;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// The gateway under a service manager (deploy/systemd's Type=notify unit): READY=1 once it
/// serves, RELOADING=1 and READY=1 around a reload, STOPPING=1 when it stops. systemd is not PID 1
/// on the test machines, so the gateway runs as PID 1 of a PID namespace of its own with
/// NOTIFY_SOCKET set, as in a container that systemd starts; that is how
/// Microsoft.Extensions.Hosting.Systemd tells it runs as a service, and the test's datagram socket
/// stands in for systemd's.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayServiceManagerTests
{
    [Fact]
    public async Task UnderAServiceManager_ReportsReadyReloadingAndStopping_AndKeepsItsLogFormat()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("notify.sock");
        using var notifications = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notifications.Bind(new UnixDomainSocketEndPoint(path));
        using var gateway = await GatewayInstance.StartAsync(
            launcher: ["unshare", "--pid", "--fork", "--kill-child"],
            environment: new Dictionary<string, string> { ["NOTIFY_SOCKET"] = path });

        string ready = await ReceiveAsync(notifications);
        await gateway.ControlAsync("reload");
        string reloading = await ReceiveAsync(notifications);
        string readyAgain = await ReceiveAsync(notifications);
        Command.Run("kill", "-TERM", GatewayProcessId(gateway.Process.Id).ToString(CultureInfo.InvariantCulture)).EnsureSuccess();
        string stopping = await ReceiveAsync(notifications);
        int exit = await gateway.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("READY=1", ready);
        Assert.Matches(@"^RELOADING=1\nMONOTONIC_USEC=\d+$", reloading);
        Assert.Equal("READY=1", readyAgain);
        Assert.Equal("STOPPING=1", stopping);
        Assert.Equal(0, exit);
        Assert.Matches(@"(?m)^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z info: OpenTunnel\.Gateway\[100\] Listening on ", gateway.Process.Output);
        Assert.Contains("nftables table inet opentunnel removed", gateway.Process.Output, StringComparison.Ordinal);
    }

    /// <summary>The one child of <paramref name="launcher"/> (unshare --fork): the gateway, PID 1 inside its namespace.</summary>
    private static int GatewayProcessId(int launcher) =>
        int.Parse(File.ReadAllText($"/proc/{launcher}/task/{launcher}/children").Trim(), CultureInfo.InvariantCulture);

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        byte[] buffer = new byte[4096];
        int length = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
