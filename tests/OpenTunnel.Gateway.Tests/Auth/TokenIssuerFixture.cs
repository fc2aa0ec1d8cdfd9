using OpenTunnel.Gateway.Auth;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Auth;

/// <summary>
/// Development issuers shared by the tests of one class, because making an RSA key costs far more
/// than validating a token: <see cref="Issuer"/> (RSA, the trusted one), <see cref="Other"/> (RSA,
/// same issuer name, a key nobody trusts) and <see cref="Ec"/> (EC P-256).
/// </summary>
public sealed class TokenIssuerFixture : IDisposable
{
    public const string IssuerName = "https://login.example.net/tenant/v2.0";
    public const string Audience = "api://opentunnel";

    public TokenIssuerFixture()
    {
        Issuer = DevelopmentTokenIssuer.CreateOrLoad(Directory.Subdirectory("issuer"), IssuerName, Audience);
        Other = DevelopmentTokenIssuer.CreateOrLoad(Directory.Subdirectory("other"), IssuerName, Audience);
        Ec = DevelopmentTokenIssuer.CreateOrLoad(Directory.Subdirectory("ec"), IssuerName, Audience, DevelopmentKeyKind.EcP256);
    }

    public TemporaryDirectory Directory { get; } = new();

    public DevelopmentTokenIssuer Issuer { get; }

    public DevelopmentTokenIssuer Other { get; }

    public DevelopmentTokenIssuer Ec { get; }

    public void Dispose()
    {
        Issuer.Dispose();
        Other.Dispose();
        Ec.Dispose();
        Directory.Dispose();
    }
}
