using Microsoft.Extensions.Options;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// How the management service and its identity provider serve HTTPS, section "Management:Https"
/// (environment: Management__Https__CertificateFile). docs/management.md is the reference.
/// </summary>
public sealed class HttpsOptions
{
    public const string Section = "Management:Https";

    /// <summary>
    /// The operator's certificate: a PEM file (the certificate, then any intermediates) or a
    /// PKCS#12 file (.pfx or .p12). Read again when it changes, without a restart. Default none:
    /// a certificate issued by the deployment's CA (agent-ca.pem) naming this host.
    /// </summary>
    public string? CertificateFile { get; set; }

    /// <summary>The PEM private key of <see cref="CertificateFile"/> when it is not in that file. Default none.</summary>
    public string? KeyFile { get; set; }

    /// <summary>A file whose first line is the password of the PKCS#12 file or of an encrypted PEM key. Default none.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>
    /// Allow plain http URLs on loopback addresses (127.0.0.0/8, ::1, localhost) and Unix sockets,
    /// for a TLS-terminating proxy on the same machine or tests. Default false. A plain http URL on
    /// any other address is refused at start whatever this says.
    /// </summary>
    public bool AllowLoopbackHttp { get; set; }

    /// <summary>max-age of the Strict-Transport-Security header on HTTPS answers. Default 365 days, 1 to 730.</summary>
    public int HstsMaxAgeDays { get; set; } = 365;
}

/// <summary>Refuses bad HTTPS settings at start, naming the setting.</summary>
internal sealed class HttpsOptionsValidator : IValidateOptions<HttpsOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpsOptions options)
    {
        var failures = new List<string>();
        if (options.CertificateFile is null && (options.KeyFile is not null || options.PasswordFile is not null))
        {
            failures.Add($"{HttpsOptions.Section}:KeyFile and :PasswordFile belong to {HttpsOptions.Section}:CertificateFile, which is not set.");
        }

        foreach ((string setting, string? path) in new[] { ("CertificateFile", options.CertificateFile), ("KeyFile", options.KeyFile), ("PasswordFile", options.PasswordFile) })
        {
            if (path is not null && !File.Exists(path))
            {
                failures.Add($"{HttpsOptions.Section}:{setting} '{path}' does not exist.");
            }
        }

        if (options.HstsMaxAgeDays is < 1 or > 730)
        {
            failures.Add($"{HttpsOptions.Section}:HstsMaxAgeDays {options.HstsMaxAgeDays} is outside 1 to 730.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
