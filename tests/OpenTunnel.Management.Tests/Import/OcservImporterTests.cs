using OpenTunnel.Management.Import;

namespace OpenTunnel.Management.Tests.Import;

[Trait("Category", "Unit")]
public sealed class OcservImporterTests
{
    /// <summary>The file Debian's ocserv package installs (test.sh installs ocserv).</summary>
    private const string DebianConfiguration = "/etc/ocserv/ocserv.conf";

    /// <summary>A site-to-site style ocserv.conf as administrators write them: split routes both ways, DNS, IPv6, groups.</summary>
    private const string Realistic = """
        # corporate VPN
        auth = "pam"
        tcp-port = 8443
        udp-port = 8443
        server-cert = /etc/ssl/certs/vpn.pem
        mtu = 1400
        idle-timeout = 1800
        session-timeout = 90
        ipv4-network = 198.18.128.0
        ipv4-netmask = 255.255.255.0
        ipv6-network = 2001:db8:80::
        ipv6-prefix = 64
        ipv6-subnet-prefix = 128
        dns = 198.18.2.53
        dns = 2001:db8:2::53
        default-domain = corp.example lab.corp.example
        split-dns = internal.corp.example
        route = 198.18.2.0/255.255.255.0
        route = 2001:db8:2::/64
        no-route = 198.18.2.128/25
        config-per-group = /etc/ocserv/group/
        """;

    private static int LineOf(string text, string line) =>
        Array.FindIndex(text.Split('\n'), l => l.Trim() == line) + 1;

    [Fact]
    public void Import_DebianShippedFile_MapsNetworkAndReportsTheRouteOverlappingThePool()
    {
        Assert.True(File.Exists(DebianConfiguration), $"{DebianConfiguration} is missing: install Debian's ocserv package (test.sh does).");
        string text = File.ReadAllText(DebianConfiguration);

        OcservImport import = OcservImporter.Import(text, "debian", []);

        var c = import.Configuration;
        Assert.Equal("192.168.1.0/24", c.Ipv4Range);
        Assert.Equal(["192.168.1.1"], c.DnsServers);
        Assert.Equal(["example.com"], c.DnsSuffixes);
        Assert.Equal(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], c.IncludeRoutes);
        Assert.Equal(443, c.Port);
        Assert.False(c.UdpDisabled);
        // Debian's sample routes 192.168.0.0/16 into the tunnel around its own pool 192.168.1.0/24: the one validator refuses that.
        OcservNote error = Assert.Single(import.Errors);
        Assert.Equal(LineOf(text, "route = 192.168.0.0/16"), error.Line);
        Assert.Equal("route", error.Key);
        Assert.Contains("overlaps the client address pool 192.168.1.0/24", error.Message, StringComparison.Ordinal);
        Assert.Contains(import.Warnings, w => w.Line == LineOf(text, "keepalive = 32400") && w.Key == "keepalive" && w.Message.Contains("Timeouts:KeepaliveSeconds", StringComparison.Ordinal));
        Assert.Contains(import.Warnings, w => w.Line == LineOf(text, "max-clients = 16") && w.Message.Contains("Limits:MaxSessions", StringComparison.Ordinal));
        Assert.Contains(import.Warnings, w => w.Key == "auth" && w.Message.Contains("OIDC", StringComparison.Ordinal));
        Assert.Contains(import.Warnings, w => w.Key == "ping-leases" && w.Line > 0);
        Assert.Contains(import.Warnings, w => w.Line == 0 && w.Key == "idle-timeout" && w.Message.Contains("20 min", StringComparison.Ordinal));
    }

    [Fact]
    public void Import_DebianShippedFileWithoutTheOverlappingRoute_Succeeds()
    {
        Assert.True(File.Exists(DebianConfiguration), $"{DebianConfiguration} is missing: install Debian's ocserv package (test.sh does).");
        string text = File.ReadAllText(DebianConfiguration).Replace("route = 192.168.0.0/16", "no-route = 192.168.0.0/24", StringComparison.Ordinal);

        OcservImport import = OcservImporter.Import(text, "debian", []);

        Assert.Empty(import.Errors);
        Assert.Equal(["192.168.0.0/24"], import.Configuration.ExcludeRoutes);
    }

    [Fact]
    public void Import_RealisticFile_MapsEverySettingWithAnEquivalent()
    {
        OcservImport import = OcservImporter.Import(Realistic, "corp", []);

        var c = import.Configuration;
        Assert.Empty(import.Errors);
        Assert.Equal("corp", c.Name);
        Assert.Equal("198.18.128.0/24", c.Ipv4Range);
        Assert.Equal("2001:db8:80::/64", c.Ipv6Range);
        Assert.Equal(["198.18.2.53", "2001:db8:2::53"], c.DnsServers);
        Assert.Equal(["corp.example", "lab.corp.example"], c.DnsSuffixes);
        Assert.Equal(["internal.corp.example"], c.SplitDnsDomains);
        Assert.Equal(["198.18.2.0/24", "2001:db8:2::/64"], c.IncludeRoutes);
        Assert.Equal(["198.18.2.128/25"], c.ExcludeRoutes);
        Assert.Equal(8443, c.Port);
        Assert.False(c.UdpDisabled);
        Assert.Equal(30, c.IdleTimeoutMinutes);
        Assert.Equal(2, c.SessionTimeoutMinutes);
    }

    [Fact]
    public void Import_RealisticFile_WarnsWithLineAndKeyForEachSettingLeftOut()
    {
        OcservImport import = OcservImporter.Import(Realistic, "corp", []);

        Assert.Equal(
            ["line 2: auth", "line 5: server-cert", "line 6: mtu", "line 8: session-timeout", "line 21: config-per-group"],
            import.Warnings.Select(w => $"line {w.Line}: {w.Key}"));
        Assert.Contains("Network:Mtu", import.Warnings[2].Message, StringComparison.Ordinal);
        Assert.Contains("rounded up to 2 min", import.Warnings[3].Message, StringComparison.Ordinal);
        Assert.StartsWith("line 6: mtu: ", import.Warnings[2].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Import_PerGroupFiles_BecomeGroupPolicies_AndWhatTheyCannotCarryIsReported()
    {
        OcservImport import = OcservImporter.Import(
            Realistic,
            "corp",
            [
                new OcservGroupFile("engineers", "route = 198.18.4.0/255.255.255.0\nno-route = 198.18.4.128/25\ndns = 198.18.4.53\ndefault-domain = eng.example lab.example\nrx-data-per-sec = 1000\n"),
                new OcservGroupFile("admins", "route = default\n"),
                new OcservGroupFile("sales", "# nothing\n"),
            ]);

        Assert.True(import.Succeeded, string.Join("\n", import.Errors));
        List<OpenTunnel.Management.Domain.GroupPolicySettings> policies = import.Configuration.GroupPolicies!;
        Assert.Equal(["engineers", "admins"], policies.Select(p => p.Group));
        Assert.Equal(["198.18.4.0/24"], policies[0].IncludeRoutes!);
        Assert.Equal(["198.18.4.128/25"], policies[0].ExcludeRoutes!);
        Assert.Equal(["198.18.4.53"], policies[0].DnsServers!);
        Assert.Equal("eng.example", policies[0].DnsSuffix);
        Assert.True(policies[0].ReplaceRoutes);
        Assert.True(policies[1].ReplaceRoutes);
        Assert.Empty(policies[1].IncludeRoutes!);
        Assert.Contains(import.Warnings, w => w.Line == 5 && w.Key == "group 'engineers': rx-data-per-sec");
        Assert.Contains(import.Warnings, w => w.Line == LineOf(Realistic, "config-per-group = /etc/ocserv/group/") && w.Message.StartsWith("group 'sales' sets no route", StringComparison.Ordinal));
        Assert.DoesNotContain(import.Warnings, w => w.Key == "config-per-group" && w.Message.Contains("engineers", StringComparison.Ordinal));
        Assert.DoesNotContain("198.18.4.0/24", import.Configuration.IncludeRoutes);
    }

    [Fact]
    public void Import_GroupRouteOverlappingThePool_IsAnErrorNamingTheGroupAndItsLine()
    {
        OcservImport import = OcservImporter.Import(Realistic, "corp", [new OcservGroupFile("engineers", "dns = 198.18.4.53\nroute = 198.18.128.0/25\n")]);

        OcservNote error = Assert.Single(import.Errors);
        Assert.Equal((2, "group 'engineers': route"), (error.Line, error.Key));
        Assert.Contains("overlaps the client address pool 198.18.128.0/24", error.Message, StringComparison.Ordinal);
    }


    [Fact]
    public void Import_CidrNetworkAndNoUdpPort_TurnsUdpOffAndKeepsTheRange()
    {
        OcservImport import = OcservImporter.Import("tcp-port = 443\nipv4-network = 198.18.128.0/25\nroute = default\n", "x", []);

        Assert.Empty(import.Errors);
        Assert.Equal("198.18.128.0/25", import.Configuration.Ipv4Range);
        Assert.True(import.Configuration.UdpDisabled);
        Assert.Empty(import.Configuration.IncludeRoutes);
        Assert.Contains(import.Warnings, w => w.Key == "udp-port" && w.Message.Contains("udpDisabled", StringComparison.Ordinal));
        Assert.Contains(import.Warnings, w => w.Line == 3 && w.Key == "route" && w.Message.Contains("'default'", StringComparison.Ordinal));
    }

    [Fact]
    public void Import_NoTcpPortAndIdleTimeoutZero_KeepTheDefaultsWithAWarning()
    {
        OcservImport import = OcservImporter.Import("udp-port = 443\nidle-timeout = 0\nipv4-network = 198.18.128.0/24\n", "x", []);

        Assert.Empty(import.Errors);
        Assert.Equal(443, import.Configuration.Port);
        Assert.Equal(20, import.Configuration.IdleTimeoutMinutes);
        Assert.Equal(["idle-timeout", "tcp-port"], import.Warnings.Select(w => w.Key));
    }

    [Fact]
    public void Import_DifferentUdpPort_Warns()
    {
        OcservImport import = OcservImporter.Import("tcp-port = 443\nudp-port = 4443\nipv4-network = 198.18.128.0/24\n", "x", []);

        Assert.Contains(import.Warnings, w => w.Line == 2 && w.Message.Contains("same port as TLS (443)", StringComparison.Ordinal));
    }

    [Fact]
    public void Import_ValuesTheValidatorRefuses_AreErrorsAtTheirOcservLine()
    {
        const string text = "tcp-port = 443\nudp-port = 443\nipv4-network = 198.18.128.0/24\ndns = 198.18.2.53\ndns = not-an-address\nroute = 198.18.128.0/25\nipv6-network = 2001:db8:80::/48\n";

        OcservImport import = OcservImporter.Import(text, "x", []);

        Assert.False(import.Succeeded);
        Assert.Contains(import.Errors, e => e.Line == 5 && e.Key == "dns" && e.Message.Contains("is not an IPv4 or IPv6 address", StringComparison.Ordinal));
        Assert.Contains(import.Errors, e => e.Line == 6 && e.Key == "route" && e.Message.Contains("overlaps the client address pool", StringComparison.Ordinal));
        Assert.Contains(import.Errors, e => e.Line == 7 && e.Key == "ipv6-network" && e.Message.Contains("/64 to /120", StringComparison.Ordinal));
        Assert.Equal(3, import.Errors.Count);
    }

    [Fact]
    public void Import_BadNetmaskBadNumberAndBadLine_AreErrorsNamingTheLine()
    {
        const string text = "tcp-port = 443\nipv4-network = 198.18.128.0\nipv4-netmask = 255.0.255.0\nroute = 198.18.2.0/255.255.0.255\nidle-timeout = soon\njust words\n";

        OcservImport import = OcservImporter.Import(text, "x", []);

        Assert.Equal(
            ["line 3: ipv4-netmask", "line 4: route", "line 5: idle-timeout", "line 6: just words"],
            import.Errors.Select(e => $"line {e.Line}: {e.Key}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Import_NoName_IsRefusedByTheValidator()
    {
        OcservImport import = OcservImporter.Import("tcp-port = 443\nudp-port = 443\nipv4-network = 198.18.128.0/24\n", " ", []);

        OcservNote error = Assert.Single(import.Errors);
        Assert.Equal("name: is required.", error.ToString());
    }
}
