using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Install;

/// <summary>
/// The units of deploy/systemd, checked by systemd-analyze verify against a throw-away root that
/// holds the units, Debian's own units and stand-ins for the binaries (systemd is not PID 1 on
/// the test machines, so the units are verified, not started).
/// </summary>
[Trait("Category", "Integration")]
public sealed class SystemdUnitTests : IDisposable
{
    private static readonly string[] Units = ["opentunnel-gateway.service", "opentunnel-agent.service", "opentunnel-management.service", "opentunnel-client.service"];
    private readonly TemporaryDirectory _root = new();

    [Fact]
    public void Units_PassSystemdAnalyzeVerify()
    {
        CommandResult verified = Verify(Units);

        Assert.True(verified.Succeeded, verified.StandardOutput + verified.StandardError);
        Assert.Equal(string.Empty, verified.StandardError.Trim());
    }

    [Fact]
    public void Verify_OnABrokenUnit_Fails()
    {
        CommandResult verified = Verify(["broken.service"], "[Service]\nType=notify\nExecStart=relative/path\n");

        Assert.False(verified.Succeeded);
        Assert.Contains("broken.service", verified.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("opentunnel-gateway.service", "Type=notify", "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE")]
    [InlineData("opentunnel-agent.service", "Type=notify", "CapabilityBoundingSet=\n")]
    [InlineData("opentunnel-management.service", "Type=notify", "CapabilityBoundingSet=\n")]
    public void Unit_IsConfinedToItsUserAndState(string unit, string type, string capabilities)
    {
        string text = File.ReadAllText(Path.Combine(Deploy, unit));

        Assert.Contains(type + "\n", text, StringComparison.Ordinal);
        Assert.Contains(capabilities, text, StringComparison.Ordinal);
        Assert.Contains("User=opentunnel\n", text, StringComparison.Ordinal);
        Assert.Contains("NoNewPrivileges=yes\n", text, StringComparison.Ordinal);
        Assert.Contains("ProtectSystem=strict\n", text, StringComparison.Ordinal);
        Assert.Contains("StateDirectory=", text, StringComparison.Ordinal);
    }

    [Fact]
    public void GatewayUnit_ReloadsWithTheGatewaysReloadCommand()
    {
        string text = File.ReadAllText(Path.Combine(Deploy, "opentunnel-gateway.service"));

        Assert.Contains("ExecReload=/opt/opentunnel/gateway/opentunnel-gateway reload --config /etc/opentunnel/gateway.json\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientUnit_RunsTheAlwaysOnModeAsRoot_StopsItBySigtermToTheClientOnly_RestartsOnFailure()
    {
        string text = File.ReadAllText(Path.Combine(Deploy, "opentunnel-client.service"));

        Assert.Contains("ExecStart=/opt/opentunnel/client/opentunnel always-on run\n", text, StringComparison.Ordinal);
        Assert.Contains("Environment=OPENTUNNEL_CLIENT_HOME=/var/lib/opentunnel-client\n", text, StringComparison.Ordinal);
        Assert.Contains("StateDirectory=opentunnel-client\n", text, StringComparison.Ordinal);
        Assert.Contains("KillMode=mixed\n", text, StringComparison.Ordinal);
        Assert.Contains("Restart=on-failure\n", text, StringComparison.Ordinal);
        Assert.Contains("RestartPreventExitStatus=64 78\n", text, StringComparison.Ordinal);
        Assert.Contains("WantedBy=multi-user.target\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("User=", text, StringComparison.Ordinal);
    }

    public void Dispose() => _root.Dispose();

    private static string Deploy => Path.Combine(SolutionOutput.Root(), "deploy", "systemd");

    private CommandResult Verify(IReadOnlyList<string> units, string? extra = null)
    {
        Prerequisites.RequireRootAndCommands("systemd-analyze");
        string system = Directory.CreateDirectory(_root.File("etc/systemd/system")).FullName;
        foreach (string unit in Units)
        {
            File.Copy(Path.Combine(Deploy, unit), Path.Combine(system, unit), overwrite: true);
        }

        if (extra is not null)
        {
            File.WriteAllText(Path.Combine(system, units[0]), extra);
        }

        // Debian's units (sysinit.target and the rest that the default dependencies name).
        Command.Run("cp", "-a", "/lib/systemd", Directory.CreateDirectory(_root.File("lib")).FullName).EnsureSuccess();
        Directory.CreateDirectory(_root.File("bin"));
        File.Copy("/bin/sh", _root.File("bin/sh"), overwrite: true);
        foreach (string binary in new[] { "gateway/opentunnel-gateway", "agent/opentunnel-agent", "management/opentunnel-management", "client/opentunnel" })
        {
            string path = _root.File("opt/opentunnel/" + binary);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "#!/bin/sh\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return Command.Run("systemd-analyze", ["verify", "--root=" + _root.Path, "--man=no", .. units], TimeSpan.FromMinutes(1));
    }
}
