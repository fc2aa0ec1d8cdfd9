using System.Net.Sockets;
using System.Security.Authentication;
using OpenTunnel.Bench.Load.Sessions;
using OpenTunnel.Protocol.Client;

namespace OpenTunnel.Bench.Load.Tests.Sessions;

[Trait("Category", "Unit")]
public sealed class LoadRunTests
{
    [Theory]
    [MemberData(nameof(Failures))]
    public void Classify_Failure_GivesAShortStableReason(Exception failure, bool timedOut, string expected)
    {
        Assert.Equal(expected, LoadRun.Classify(failure, timedOut));
    }

    public static TheoryData<Exception, bool, string> Failures() => new()
    {
        { new SignInException("CONNECT: HTTP/1.1 401 Unauthorized"), false, "CONNECT" },
        { new SignInException("sign-in step 2: HTTP 503 (Service Unavailable)"), false, "sign-in step 2" },
        { new SocketException((int)SocketError.ConnectionRefused), false, "tcp ConnectionRefused" },
        { new AuthenticationException("bad pin"), false, "tls handshake" },
        { new IOException("reset", new SocketException((int)SocketError.ConnectionReset)), false, "connection ConnectionReset" },
        { new IOException("eof"), false, "connection closed" },
        { new OperationCanceledException(), true, "timeout" },
        { new FormatException("x"), false, "bad response" },
    };
}
