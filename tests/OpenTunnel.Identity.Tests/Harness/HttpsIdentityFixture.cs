namespace OpenTunnel.Identity.Tests.Harness;

/// <summary>
/// The identity provider over HTTPS on 127.0.0.1 with the certificate the deployment's CA issues
/// (Identity:RequireHttps on): the issuer is https, and the test's own clients trust the CA by its file.
/// </summary>
public class HttpsIdentityFixture : IdentityFixture
{
    protected override string ListenUrl => "https://127.0.0.1:0";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Identity:RequireHttps"] = "true" };

    /// <summary>The deployment CA's certificate file in the service's data directory.</summary>
    public string CaFile => Path.Combine(App.Database.DataDirectory, "agent-ca.pem");

    /// <summary>The deployment CA's pin as the service stored it.</summary>
    public string CaPin => File.ReadAllText(Path.Combine(App.Database.DataDirectory, "ca-pin")).Trim();
}
