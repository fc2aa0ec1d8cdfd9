using OpenTunnel.Platform.Linux.Tls;

namespace OpenTunnel.Platform.Linux.Tests.Tls;

/// <summary>The TLS exporter (RFC 5705) on real OpenSSL connections over 127.0.0.1.</summary>
[Trait("Category", "Integration")]
public sealed class OpenSslKeyingMaterialTests
{
    private const string Label = "EXPORTER-openconnect-psk";

    [Fact]
    public async Task TryExport_BothEnds_DeriveTheSameBytes_WhichDifferPerLabelAndPerConnection()
    {
        await using var pair = await TlsPair.ConnectAsync();
        await using var other = await TlsPair.ConnectAsync();

        byte[]? client = OpenSslKeyingMaterial.TryExport(pair.Client, Label, 32);
        byte[]? server = OpenSslKeyingMaterial.TryExport(pair.Server, Label, 32);

        Assert.NotNull(client);
        Assert.Equal(32, client.Length);
        Assert.Equal(client, server);
        Assert.NotEqual(client, OpenSslKeyingMaterial.TryExport(pair.Client, "EXPORTER-another-label", 32));
        Assert.NotEqual(client, OpenSslKeyingMaterial.TryExport(other.Client, Label, 32));
    }
}
