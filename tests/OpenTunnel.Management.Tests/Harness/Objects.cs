namespace OpenTunnel.Management.Tests.Harness;

/// <summary>Creates the objects other objects name, through the API, with unique names.</summary>
public static class Objects
{
    public static async Task<ApiResponse> ConfigurationAsync(HttpClient admin) =>
        await admin.CreateAsync("/api/v1/configurations", new { name = ManagementAppFixture.Unique("cfg"), ipv4Range = "198.18.128.0/24" });

    public static async Task<ApiResponse> SiteAsync(HttpClient admin)
    {
        ApiResponse configuration = await ConfigurationAsync(admin);
        return await admin.CreateAsync("/api/v1/sites", new { name = ManagementAppFixture.Unique("site"), publicAddress = "198.18.1.1", serverConfigurationId = configuration.Id });
    }

    public static async Task<ApiResponse> GroupAsync(HttpClient admin) =>
        await admin.CreateAsync("/api/v1/groups", new { name = ManagementAppFixture.Unique("group") });

    public static async Task<ApiResponse> UserAsync(HttpClient admin, params string[] groupIds) =>
        await admin.CreateAsync("/api/v1/users", new { name = ManagementAppFixture.Unique("user"), displayName = "Test User", groupIds });

    /// <summary>A site with a server enrolled through a one-time token.</summary>
    public static async Task<(ApiResponse Site, ApiResponse Server)> EnrolledServerAsync(HttpClient admin, HttpClient anonymous)
    {
        ApiResponse site = await SiteAsync(admin);
        ApiResponse token = await admin.CreateAsync($"/api/v1/sites/{site.Id}/enrolment-tokens", new { validForHours = 1 });
        ApiResponse server = await anonymous.CreateAsync("/api/v1/enrolment", new
        {
            token = token.Json.GetProperty("token").GetString(),
            serverName = ManagementAppFixture.Unique("gw"),
            certificateRequest = CertificateRequest(),
            softwareVersion = "1.0.0",
        });
        return (site, server);
    }

    /// <summary>A PEM PKCS#10 request for a fresh P-256 key, as an agent sends at enrolment.</summary>
    public static string CertificateRequest(string name = "gw")
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        return new System.Security.Cryptography.X509Certificates.CertificateRequest($"CN={name}", key, System.Security.Cryptography.HashAlgorithmName.SHA256).CreateSigningRequestPem();
    }
}
