using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Install;

/// <summary>
/// opentunnel-setup as an administrator runs it: the install line from the enrolment-token API,
/// fetched from the management container, run as root in the "server" namespace (the gateway
/// namespace of the standard topology). The management API serves HTTPS on 198.18.3.10:9443
/// with the deployment CA's certificate; the line fetches the CA, checks its pin and fetches the
/// script with it; the script's own calls go to the agent endpoint over TLS checked by the same pin. The script's record and persistent sysctl file go to a test folder.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(ContainerImages.Collection)]
public sealed class InstallScriptTests(ContainerStack stack, ITestOutputHelper output) : IClassFixture<ContainerStack>
{
    private const string Container = "opentunnel-gateway";

    [Fact]
    public async Task InstallLine_EnrolsAndStartsTheGateway_OpenConnectReachesCorp_AndUninstallLeavesNothing()
    {
        output.WriteLine($"Image build: {stack.BuildTime.TotalSeconds:0} s");
        (string site, string line, string token) = stack.NewSiteToken();
        string state = stack.Directory.Subdirectory("state-" + site);
        string sysctl = stack.Directory.Subdirectory("sysctl-" + site);
        string tokenFile = WriteToken(token);
        try
        {
            CommandResult installed = RunLine(line, tokenFile, state, sysctl);
            output.WriteLine(installed.StandardOutput + installed.StandardError);
            Assert.True(installed.Succeeded, installed.StandardOutput + installed.StandardError);
            // A warning (this machine's CPU busy with other tests) is a working server too.
            Assert.Matches($"in site '{site}': (healthy|warning: )", installed.StandardOutput);
            Assert.Contains("ok    inbound TCP 443 reachable from the management service", installed.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("ok    inbound UDP 443 reachable from the management service", installed.StandardOutput, StringComparison.Ordinal);
            string imageId = stack.Podman("image", "inspect", "--format", "{{.Id}}", "localhost/opentunnel-gateway:installed").EnsureSuccess().StandardOutput.Trim();

            CommandResult again = RunLine(line, tokenFile, state, sysctl);
            Assert.True(again.Succeeded, again.StandardOutput + again.StandardError);
            Assert.Contains("installed already", again.StandardOutput, StringComparison.Ordinal);

            // The gateway runs as the user opentunnel with only the two network capabilities.
            string top = stack.Podman("top", Container, "user", "capeff", "args").EnsureSuccess().StandardOutput;
            Assert.Contains(top.Split('\n'), l => l.StartsWith("opentunnel", StringComparison.Ordinal) && l.Contains("NET_ADMIN,NET_BIND_SERVICE ", StringComparison.Ordinal) && l.Contains("opentunnel-gateway run", StringComparison.Ordinal));

            var gateway = new ContainerGateway(stack, InGateway("pin", "--config", "/etc/opentunnel/gateway.json").Trim()["pin-sha256:".Length..]);
            using var corp = SourceEchoServer.Start(stack.Topology.Corp, NetworkTopology.CorpAddress);
            string userToken = gateway.Directory.File("alice.token");
            File.WriteAllText(userToken, InGateway("token", "--config", "/etc/opentunnel/gateway.json", "--user", "alice").Trim());
            using (OpenConnectClient client = await OpenConnectClient.ConnectWithTokenAsync(gateway, userToken, "ocinstall"))
            {
                string seen = stack.Topology.Exec(stack.Topology.Client, "curl", "-s", "-m", "5", $"http://{NetworkTopology.CorpAddress}:{corp.Port}/").EnsureSuccess().StandardOutput;
                Assert.Equal(NetworkTopology.GatewayCorpAddress, seen);
            }

            CommandResult removed = Setup(["uninstall"], state, sysctl);
            Assert.True(removed.Succeeded, removed.StandardOutput + removed.StandardError);
            Assert.False(stack.Podman("container", "exists", Container).Succeeded, "the container is still there");
            Assert.False(stack.Podman("image", "exists", imageId).Succeeded, "the gateway image is still there");
            Assert.False(stack.Podman("volume", "exists", "opentunnel-gateway-data").Succeeded, "the data volume is still there");
            Assert.False(stack.Podman("volume", "exists", "opentunnel-gateway-etc").Succeeded, "the configuration volume is still there");
            Assert.False(stack.Topology.Exec(stack.Topology.Gateway, "nft", "list", "table", "inet", "opentunnel").Succeeded, "the nftables table is still there");
            Assert.False(System.IO.Directory.Exists(state), "the installer's record is still there");
            Assert.Empty(System.IO.Directory.GetFiles(sysctl));
        }
        finally
        {
            Setup(["uninstall"], state, sysctl);
        }
    }

    [Fact]
    public async Task Install_WithTcp443Taken_NamesThePortAndInstallsNothing()
    {
        (_, string line, string token) = stack.NewSiteToken();
        string state = stack.Directory.Subdirectory("state-port");
        string sysctl = stack.Directory.Subdirectory("sysctl-port");
        using TrackedProcess squatter = stack.Topology.Start(stack.Topology.Gateway, "perl",
            ["-MIO::Socket::INET", "-e", "$| = 1; my $s = IO::Socket::INET->new(LocalPort => 443, Listen => 1, ReuseAddr => 1) or die; print qq(listening\\n); sleep 600"]);
        await squatter.WaitForOutputAsync("listening", TimeSpan.FromSeconds(10));

        CommandResult refused = RunLine(line, WriteToken(token), state, sysctl);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("FAIL  TCP port 443 is taken", refused.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("fix: stop the program listening on TCP 443", refused.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("nothing was installed", refused.StandardOutput, StringComparison.Ordinal);
        AssertNothingInstalled(state, sysctl);
    }

    [Fact]
    public void Install_WithoutATunDevice_NamesItAndInstallsNothing()
    {
        (_, string line, string token) = stack.NewSiteToken();
        string state = stack.Directory.Subdirectory("state-tun");
        string sysctl = stack.Directory.Subdirectory("sysctl-tun");

        // A private mount namespace whose /dev/net is empty: the server has no TUN device.
        CommandResult refused = RunLine(line, WriteToken(token), state, sysctl, hideTun: true);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("FAIL  no usable TUN device /dev/net/tun", refused.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("fix: load the module (modprobe tun)", refused.StandardOutput, StringComparison.Ordinal);
        AssertNothingInstalled(state, sysctl);
    }

    [Fact]
    public async Task Upgrade_LoadsTheNewImage_TellsConnectedClientsBeforeTheRestart_AndUninstallRemovesTheNewImage()
    {
        (string site, string line, string token) = stack.NewSiteToken();
        string state = stack.Directory.Subdirectory("state-" + site);
        string sysctl = stack.Directory.Subdirectory("sysctl-" + site);
        try
        {
            CommandResult installed = RunLine(line, WriteToken(token), state, sysctl);
            Assert.True(installed.Succeeded, installed.StandardOutput + installed.StandardError);
            string oldImage = stack.Podman("image", "inspect", "--format", "{{.Id}}", "localhost/opentunnel-gateway:installed").EnsureSuccess().StandardOutput.Trim();
            string newImages = NewGatewayImage(site);

            var gateway = new ContainerGateway(stack, InGateway("pin", "--config", "/etc/opentunnel/gateway.json").Trim()["pin-sha256:".Length..]);
            string userToken = gateway.Directory.File("upgrade-alice.token");
            File.WriteAllText(userToken, InGateway("token", "--config", "/etc/opentunnel/gateway.json", "--user", "alice").Trim());
            using OpenConnectClient before = await OpenConnectClient.ConnectWithTokenAsync(gateway, userToken, "ocupg1");

            CommandResult upgraded = Setup(["upgrade", "--images", newImages, "--drain", "20"], state, sysctl);
            output.WriteLine(upgraded.StandardOutput + upgraded.StandardError);
            await before.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));

            // The session ended with CSTP TERMINATE from the stopping gateway, not by a cut connection.
            Assert.True(upgraded.Succeeded, upgraded.StandardOutput + upgraded.StandardError);
            Assert.Contains("Upgraded.", upgraded.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("received server terminate packet", before.Process.Output, StringComparison.Ordinal);
            string newImage = stack.Podman("image", "inspect", "--format", "{{.Id}}", "localhost/opentunnel-gateway:installed").EnsureSuccess().StandardOutput.Trim();
            Assert.NotEqual(oldImage, newImage);
            Assert.Equal(site, stack.Podman("image", "inspect", "--format", "{{index .Labels \"org.opentunnel.test.upgrade\"}}", newImage).EnsureSuccess().StandardOutput.Trim());
            Assert.Equal(newImage, stack.Podman("container", "inspect", "--format", "{{.Image}}", Container).EnsureSuccess().StandardOutput.Trim());
            Assert.False(stack.Podman("image", "exists", oldImage).Succeeded, "the replaced image is still there");

            // The new gateway takes clients on the same volumes (same key, same certificate).
            using var corp = SourceEchoServer.Start(stack.Topology.Corp, NetworkTopology.CorpAddress);
            await WaitForGatewayAsync();
            using (OpenConnectClient after = await OpenConnectClient.ConnectWithTokenAsync(gateway, userToken, "ocupg2"))
            {
                string seen = stack.Topology.Exec(stack.Topology.Client, "curl", "-s", "-m", "5", $"http://{NetworkTopology.CorpAddress}:{corp.Port}/").EnsureSuccess().StandardOutput;
                Assert.Equal(NetworkTopology.GatewayCorpAddress, seen);
            }

            CommandResult again = Setup(["upgrade", "--images", newImages], state, sysctl);
            Assert.Contains("nothing to do", again.StandardOutput, StringComparison.Ordinal);

            CommandResult removed = Setup(["uninstall"], state, sysctl);
            Assert.True(removed.Succeeded, removed.StandardOutput + removed.StandardError);
            Assert.False(stack.Podman("container", "exists", Container).Succeeded, "the container is still there");
            Assert.False(stack.Podman("image", "exists", newImage).Succeeded, "the upgraded image is still there");
            Assert.False(System.IO.Directory.Exists(state), "the installer's record is still there");
        }
        finally
        {
            Setup(["uninstall"], state, sysctl);
        }
    }

    [Fact]
    public void Install_WithAnotherCaPin_IsRefusedBeforeTheToken_AndTheTokenStillWorks()
    {
        (_, string line, string token) = stack.NewSiteToken();
        string state = stack.Directory.Subdirectory("state-pin");
        string sysctl = stack.Directory.Subdirectory("sysctl-pin");
        string tokenFile = WriteToken(token);
        string rightPin = line[(line.LastIndexOf("--ca-pin ", StringComparison.Ordinal) + "--ca-pin ".Length)..].Trim();
        string wrongPin = "pin-sha256:" + Convert.ToBase64String(new byte[32]);

        // The line checks the pin before it fetches the script, and the line as a whole fails.
        CommandResult lineRefused = RunLine(line.Replace(rightPin["pin-sha256:".Length..], wrongPin["pin-sha256:".Length..], StringComparison.Ordinal), tokenFile, state, sysctl);
        Assert.Equal(1, lineRefused.ExitCode);
        Assert.Contains($"does not have the pin {wrongPin}", lineRefused.StandardError, StringComparison.Ordinal);
        AssertNothingInstalled(state, sysctl);

        // The script checks the agent endpoint against its --ca-pin before it sends the token anywhere.
        CommandResult refused = Setup(["install", .. Arguments(line, tokenFile, wrongPin)], state, sysctl);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"shows a CA whose pin is not {wrongPin}", refused.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("fix: copy the install line again", refused.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("nothing was installed", refused.StandardOutput, StringComparison.Ordinal);
        AssertNothingInstalled(state, sysctl);

        // The token was not spent: the readiness probe, which refuses used tokens, still takes it.
        CommandResult check = Setup(["check", .. Arguments(line, tokenFile, rightPin)], state, sysctl);
        Assert.True(check.Succeeded, check.StandardOutput + check.StandardError);
        Assert.Contains("ok    inbound TCP 443 reachable from the management service", check.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Install_WithTheTokenOnTheCommandLine_IsRefused()
    {
        (_, string line, _) = stack.NewSiteToken();
        string state = stack.Directory.Subdirectory("state-argv");
        string sysctl = stack.Directory.Subdirectory("sysctl-argv");
        string management = Value(line, "--management");

        CommandResult refused = Setup(["install", "--management", management, "--site", "x", "--token", "ote_on_the_command_line", "--ca-pin", Value(line, "--ca-pin")], state, sysctl);

        Assert.Equal(64, refused.ExitCode);
        Assert.Contains("the token is never taken from the command line", refused.StandardError, StringComparison.Ordinal);
        Assert.Contains("--token-file FILE", refused.StandardError, StringComparison.Ordinal);
        AssertNothingInstalled(state, sysctl);
    }

    /// <summary>
    /// The server's clock two minutes ahead of the management service's. The skew is faked for the
    /// script alone with libfaketime (LD_PRELOAD: the script's date, curl and podman see the shifted
    /// time); the host's clock is not touched.
    /// </summary>
    [Fact]
    public void Install_WithTheClockTwoMinutesAhead_NamesTheSkewAndInstallsNothing()
    {
        Prerequisites.RequireRootAndCommands("faketime");
        (_, string line, string token) = stack.NewSiteToken();
        string state = stack.Directory.Subdirectory("state-clock");
        string sysctl = stack.Directory.Subdirectory("sysctl-clock");
        string tokenFile = WriteToken(token);

        CommandResult refused = InServer([.. Environment(state, sysctl), "faketime", "-f", "+120s",
            "sh", Path.Combine(stack.Root, "deploy", "install", "opentunnel-setup"), "install", .. Arguments(line, tokenFile, Value(line, "--ca-pin")), "--skip-inbound-check"],
            TimeSpan.FromMinutes(2));

        Assert.Equal(1, refused.ExitCode);
        Assert.Matches(@"FAIL  the clock is 1[12]\d s away from the management service's", refused.StandardOutput);
        Assert.Contains("fix: synchronise the clock", refused.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("nothing was installed", refused.StandardOutput, StringComparison.Ordinal);
        AssertNothingInstalled(state, sysctl);
    }

    private void AssertNothingInstalled(string state, string sysctl)
    {
        Assert.False(stack.Podman("container", "exists", Container).Succeeded);
        Assert.False(stack.Podman("image", "exists", "localhost/opentunnel-gateway:installed").Succeeded);
        Assert.False(stack.Podman("volume", "exists", "opentunnel-gateway-data").Succeeded);
        Assert.False(File.Exists(Path.Combine(state, "installed")));
        Assert.Empty(System.IO.Directory.GetFiles(sysctl));
    }

    private string WriteToken(string token)
    {
        string file = stack.Directory.File("token-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(file, token + "\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return file;
    }

    /// <summary>The script's own options as the line gives them, with <paramref name="caPin"/>, for a run without the line.</summary>
    private string[] Arguments(string line, string tokenFile, string caPin) =>
        ["--management", Value(line, "--management"), "--site", "s", "--token-file", tokenFile, "--ca-pin", caPin,
         "--images", stack.Images, "--wait", "240", "--gateway-setting", "Network__IPv4Pool=198.18.128.0/24"];

    /// <summary>The word after <paramref name="option"/> in the install line.</summary>
    private static string Value(string line, string option)
    {
        string rest = line[(line.LastIndexOf(option + " ", StringComparison.Ordinal) + option.Length + 1)..];
        return rest.Split(' ')[0];
    }

    /// <summary>
    /// An image that differs from the installed one (a label more), saved as an oci-archive in a
    /// folder of its own as build.sh saves a new version; the copy in podman's storage goes, so
    /// that the upgrade loads it as an installer would.
    /// </summary>
    private string NewGatewayImage(string site)
    {
        string folder = stack.Directory.Subdirectory("images-" + site);
        File.WriteAllText(Path.Combine(folder, "Containerfile"), $"FROM localhost/opentunnel-gateway:installed\nLABEL org.opentunnel.test.upgrade={site}\n");
        stack.Podman(["build", "--pull=never", "--network=none", "-t", "localhost/opentunnel-upgrade-" + site, folder], TimeSpan.FromMinutes(3)).EnsureSuccess();
        stack.Podman(["save", "--format", "oci-archive", "-o", Path.Combine(folder, "opentunnel-gateway.oci.tar"), "localhost/opentunnel-upgrade-" + site], TimeSpan.FromMinutes(3)).EnsureSuccess();
        stack.Podman("rmi", "localhost/opentunnel-upgrade-" + site).EnsureSuccess();
        return folder;
    }

    /// <summary>Waits until the restarted gateway answers on its control socket (it listens by then).</summary>
    private async Task WaitForGatewayAsync()
    {
        for (int attempt = 0; !stack.Podman("exec", Container, "/opt/opentunnel/entrypoint.sh", "gateway", "status", "--config", "/etc/opentunnel/gateway.json").Succeeded; attempt++)
        {
            Assert.True(attempt < 60, "the upgraded gateway did not answer: " + stack.Podman("logs", "--tail", "30", Container).StandardError);
            await Task.Delay(1000);
        }
    }

    /// <summary>The install line as the API gave it, with the token file filled in, as root (no sudo) in the server namespace.</summary>
    private CommandResult RunLine(string line, string tokenFile, string state, string sysctl, bool hideTun = false)
    {
        string command = line.Replace("| sudo sh", "| sh", StringComparison.Ordinal).Replace("--token-file FILE", "--token-file " + tokenFile, StringComparison.Ordinal)
            + $" --images {stack.Images} --name gw-{Path.GetFileName(state)} --wait 240 --gateway-setting Network__IPv4Pool=198.18.128.0/24";
        if (hideTun)
        {
            command = "mount -t tmpfs none /dev/net && " + command;
        }

        string[] prefix = hideTun ? ["unshare", "--mount", "--propagation", "private", "sh", "-c"] : ["sh", "-c"];
        return InServer([.. Environment(state, sysctl), .. prefix, command], TimeSpan.FromMinutes(6));
    }

    private CommandResult Setup(IReadOnlyList<string> arguments, string state, string sysctl) =>
        InServer([.. Environment(state, sysctl), "sh", Path.Combine(stack.Root, "deploy", "install", "opentunnel-setup"), .. arguments], TimeSpan.FromMinutes(3));

    /// <summary>
    /// Runs env ARGUMENTS in the server's network namespace with nsenter rather than `ip netns
    /// exec`, which mounts a sysfs of its own without the cgroup file systems podman and the
    /// script's cgroup check look at (a real server has them).
    /// </summary>
    private CommandResult InServer(IReadOnlyList<string> arguments, TimeSpan timeout) =>
        Command.Run("nsenter", ["--net=/run/netns/" + stack.Topology.Gateway, "env", .. arguments], timeout);

    private string[] Environment(string state, string sysctl) =>
        ["CONTAINERS_CONF=" + stack.ContainersConf, "OPENTUNNEL_SETUP_STATE=" + state, "OPENTUNNEL_SETUP_SYSCTL_DIR=" + sysctl];

    private string InGateway(params string[] arguments) =>
        stack.Podman(["exec", Container, "/opt/opentunnel/entrypoint.sh", "gateway", .. arguments], Command.DefaultTimeout).EnsureSuccess().StandardOutput;

    /// <summary>The containerised gateway as openconnect sees it.</summary>
    private sealed class ContainerGateway(ContainerStack stack, string pin) : IOpenConnectServer
    {
        public NetworkTopology Topology => stack.Topology;

        public TemporaryDirectory Directory => stack.Directory;

        public string Pin => pin;

        public string Url => $"https://{NetworkTopology.GatewayPublicAddress}:443";
    }
}
