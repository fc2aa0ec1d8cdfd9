using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Configuration;

[Trait("Category", "Unit")]
public sealed class GatewayConfigurationLoaderTests
{
    private const string Sample = """
        {
          "DataDirectory": "/var/lib/opentunnel-test",
          "Listener": { "Port": 4443 },
          "Network": { "IPv4Pool": "198.18.128.0/24", "SplitInclude": [ "198.18.2.0/24" ], "DnsServers": [ "198.18.2.53" ] },
          "Auth": { "Issuer": "https://issuer.test", "Audience": "gateway", "JwksFile": "/var/lib/opentunnel-test/jwks.json",
                    "RequiredClaims": [ { "Claim": "compliance", "AnyOf": [ "compliant" ] } ] }
        }
        """;

    /// <summary>
    /// The configuration binder generated at build time (the gateway's native build needs it) leaves
    /// an init-only property at its default without a word, so every setting must be settable.
    /// </summary>
    [Fact]
    public void EverySetting_IsSettable_SoTheGeneratedBinderFillsIt()
    {
        var initOnly = new List<string>();
        var seen = new HashSet<Type>();
        var pending = new Queue<Type>([typeof(GatewayOptions)]);
        while (pending.TryDequeue(out var type))
        {
            if (!seen.Add(type))
            {
                continue;
            }

            foreach (var property in type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
            {
                if (property.SetMethod is { } setter
                    && setter.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(System.Runtime.CompilerServices.IsExternalInit)))
                {
                    initOnly.Add($"{type.Name}.{property.Name}");
                }

                var section = property.PropertyType.IsGenericType ? property.PropertyType.GetGenericArguments()[0] : property.PropertyType;
                if (section.Namespace?.StartsWith("OpenTunnel.", StringComparison.Ordinal) == true && section.IsClass)
                {
                    pending.Enqueue(section);
                }
            }
        }

        Assert.True(seen.Count > 10, $"only {seen.Count} sections found");
        Assert.True(initOnly.Count == 0, "init-only settings the generated binder would ignore: " + string.Join(", ", initOnly));
    }

    [Fact]
    public void LoadJson_Sample_BindsNestedSettings()
    {
        var options = GatewayConfigurationLoader.LoadJson(Sample);

        Assert.Equal(4443, options.Listener.Port);
        Assert.Equal(["198.18.2.0/24"], options.Network.SplitInclude);
        Assert.Equal("compliance", options.Auth.RequiredClaims[0].Claim);
        Assert.Equal(1500, options.Network.Mtu);
    }

    [Fact]
    public void LoadJson_UdpSection_BindsDtlsSettings()
    {
        var options = GatewayConfigurationLoader.LoadJson(Sample.Replace("\"Listener\"", "\"Udp\": { \"Enabled\": false, \"HandshakeTimeoutSeconds\": 7 }, \"Listener\"", StringComparison.Ordinal));

        Assert.False(options.Udp.Enabled);
        Assert.Equal(7, options.Udp.HandshakeTimeoutSeconds);
        Assert.True(GatewayConfigurationLoader.LoadJson(Sample).Udp.Enabled);
    }

    [Fact]
    public void LoadJson_UnknownSetting_IsRefusedByName()
    {
        var e = Assert.Throws<GatewayConfigurationException>(() => GatewayConfigurationLoader.LoadJson(Sample.Replace("\"Listener\"", "\"Listner\"", StringComparison.Ordinal)));

        Assert.Contains("Listner", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadJson_WrongType_NamesTheSetting()
    {
        var e = Assert.Throws<GatewayConfigurationException>(() => GatewayConfigurationLoader.LoadJson(Sample.Replace("4443", "\"many\"", StringComparison.Ordinal)));

        Assert.Contains("Listener:Port", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadJson_NotJson_SaysSo()
    {
        var e = Assert.Throws<GatewayConfigurationException>(() => GatewayConfigurationLoader.LoadJson("{ nope"));

        Assert.Contains("not valid JSON", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_Missing_SaysWhichFile()
    {
        var e = Assert.Throws<GatewayConfigurationException>(() => GatewayConfigurationLoader.LoadFile("/nonexistent/gateway.json"));

        Assert.Contains("/nonexistent/gateway.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadJson_EnvironmentVariableOfAnotherProgram_IsIgnored()
    {
        Environment.SetEnvironmentVariable("OPENTUNNEL_SOMETHING_ELSE", "x");
        try
        {
            Assert.Equal(4443, GatewayConfigurationLoader.LoadJson(Sample).Listener.Port);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OPENTUNNEL_SOMETHING_ELSE", null);
        }
    }

    [Fact]
    public void LoadJson_MisspeltSettingInAKnownSectionFromTheEnvironment_IsRefusedByName()
    {
        Environment.SetEnvironmentVariable("OPENTUNNEL_GATEWAY_Network__Mtuu", "1400");
        try
        {
            var e = Assert.Throws<GatewayConfigurationException>(() => GatewayConfigurationLoader.LoadJson(Sample));
            Assert.Contains("Mtuu", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OPENTUNNEL_GATEWAY_Network__Mtuu", null);
        }
    }

    [Fact]
    public void LoadFile_EnvironmentVariable_OverridesTheFile()
    {
        using var directory = new TemporaryDirectory();
        string file = directory.File("gateway.json");
        File.WriteAllText(file, Sample);
        Environment.SetEnvironmentVariable("OPENTUNNEL_GATEWAY_Network__Mtu", "1400");
        try
        {
            Assert.Equal(1400, GatewayConfigurationLoader.LoadFile(file).Network.Mtu);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OPENTUNNEL_GATEWAY_Network__Mtu", null);
        }
    }
}
