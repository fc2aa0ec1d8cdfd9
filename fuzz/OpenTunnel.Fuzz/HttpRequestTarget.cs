using OpenTunnel.Gateway.Tls;
using OpenTunnel.Protocol.Dtls;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Fuzz;

/// <summary>
/// The HTTP requests of the sign-in and the CONNECT, read the way the gateway reads a client
/// connection (<see cref="ConnectionReader.ReadRequestAsync"/> over <see cref="OpenTunnel.Protocol.Http.HttpRequestParser"/>),
/// then the CONNECT headers taken apart (<see cref="ConnectRequest.FromHead"/>, the DTLS suite
/// choice). Input: see <see cref="ClientConnectionInput"/>. Documented refusal: <see cref="InvalidDataException"/>.
/// </summary>
internal static class HttpRequestTarget
{
    public static void Run(ReadOnlySpan<byte> input) => ClientConnectionInput.Read(input, ReadRequest);

    private static bool ReadRequest(ConnectionReader reader)
    {
        if (reader.ReadRequestAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() is not var (head, body))
        {
            return false;
        }

        FuzzInvariantException.Check(body.Length == head.ContentLength, "the body has Content-Length bytes");
        FuzzInvariantException.Check(head.Method.Length > 0 && head.Target.Length > 0, "method and target are not empty");
        _ = head.Path;
        var request = ConnectRequest.FromHead(head);
        _ = DtlsCipherSuite.Select(request.DtlsCipherSuites, request.Dtls12CipherSuites);
        return true;
    }
}
