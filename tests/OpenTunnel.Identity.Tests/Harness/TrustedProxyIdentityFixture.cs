namespace OpenTunnel.Identity.Tests.Harness;

/// <summary>The service behind a TLS-terminating proxy on 127.0.0.1 (Management:TrustedProxies), whose X-Forwarded-For it believes.</summary>
public sealed class TrustedProxyIdentityFixture : IdentityFixture
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Management:TrustedProxies:0"] = "127.0.0.0/8",
    };
}
