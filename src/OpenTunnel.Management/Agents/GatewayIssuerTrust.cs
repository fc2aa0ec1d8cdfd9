namespace OpenTunnel.Management.Agents;

/// <summary>
/// How gateways trust the HTTPS of the issuer they fetch discovery and keys from, pushed with the
/// gateway token settings as <c>Auth:CaPin</c>: <see cref="GatewayAuthOptions.CaPin"/> when the
/// administrator set one; else the deployment CA's pin when the pushed issuer is the embedded
/// identity provider (<c>Identity:Issuer</c>) and this service serves HTTPS with a certificate of
/// the deployment's CA, so that a gateway enrolled by the install script takes the provider's
/// tokens with no setting of its own; else none (the gateway's own trust, for example a provider
/// with a publicly trusted certificate).
/// </summary>
public sealed record GatewayIssuerTrust(string? CaPin)
{
    /// <param name="auth">The gateway token settings.</param>
    /// <param name="embeddedIssuer">The embedded identity provider's <c>Identity:Issuer</c>; null when it takes the issuer from each request.</param>
    /// <param name="servedWithDeploymentCertificate">Whether HTTPS uses a certificate of the deployment's CA rather than the operator's.</param>
    /// <param name="deploymentCaPin">The deployment CA's pin.</param>
    public static GatewayIssuerTrust For(GatewayAuthOptions auth, string? embeddedIssuer, bool servedWithDeploymentCertificate, string deploymentCaPin)
    {
        ArgumentNullException.ThrowIfNull(auth);
        if (auth.CaPin is not null)
        {
            return new(auth.CaPin);
        }

        bool embedded = auth.Issuer is not null && embeddedIssuer is not null && SameIssuer(auth.Issuer, embeddedIssuer);
        return new(embedded && servedWithDeploymentCertificate ? deploymentCaPin : null);
    }

    /// <summary>Issuers compare by scheme, host, port and path, without a trailing slash (https://HOST:9443 and https://host:9443/ are one).</summary>
    private static bool SameIssuer(string a, string b) =>
        Uri.TryCreate(a.TrimEnd('/'), UriKind.Absolute, out Uri? x) && Uri.TryCreate(b.TrimEnd('/'), UriKind.Absolute, out Uri? y)
        && Uri.Compare(x, y, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped, StringComparison.Ordinal) == 0;
}
