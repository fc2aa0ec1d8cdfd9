using System.Security.Cryptography;
using OpenTunnel.Platform.Linux.Tls;

namespace OpenTunnel.Platform.Linux.Tests.Tls;

/// <summary>SSL_MODE_RELEASE_BUFFERS on a real OpenSSL connection over 127.0.0.1.</summary>
[Trait("Category", "Integration")]
public sealed class OpenSslIdleBuffersTests
{
    [Fact]
    public async Task TryEnable_OnAServerConnection_SetsTheModeAndTheConnectionStillCarriesData()
    {
        await using var pair = await TlsPair.ConnectAsync();
        Assert.False(OpenSslIdleBuffers.IsEnabled(pair.Server));

        Assert.True(OpenSslIdleBuffers.TryEnable(pair.Server));

        Assert.True(OpenSslIdleBuffers.IsEnabled(pair.Server));
        Assert.False(OpenSslIdleBuffers.IsEnabled(pair.Client));
        byte[] sent = RandomNumberGenerator.GetBytes(40_000);
        await pair.Client.WriteAsync(sent);
        await pair.Client.FlushAsync();
        byte[] received = new byte[sent.Length];
        await pair.Server.ReadExactlyAsync(received);
        Assert.Equal(sent, received);
        await pair.Server.WriteAsync(received);
        byte[] echoed = new byte[sent.Length];
        await pair.Client.ReadExactlyAsync(echoed);
        Assert.Equal(sent, echoed);
    }
}
