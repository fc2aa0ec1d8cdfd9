using System.Globalization;

namespace OpenTunnel.Gateway.Tls;

/// <summary>Where a certificate stands against the clock and Tls:ExpiryWarningDays.</summary>
public enum CertificateValidity
{
    /// <summary>Valid now and for more than the warning days.</summary>
    Valid,

    /// <summary>Valid now, but it expires within the warning days.</summary>
    ExpiresSoon,

    /// <summary>Expired, or not valid yet: clients refuse it.</summary>
    NotValid,
}

/// <summary>The server certificate's validity at one moment, with the sentence the logs and the health check give.</summary>
public readonly record struct CertificateExpiry(CertificateValidity Validity, DateTimeOffset NotBefore, DateTimeOffset NotAfter, TimeSpan Left)
{
    /// <summary>Assesses a certificate valid from <paramref name="notBefore"/> to <paramref name="notAfter"/> at <paramref name="now"/>.</summary>
    public static CertificateExpiry Assess(DateTimeOffset notBefore, DateTimeOffset notAfter, DateTimeOffset now, int warningDays)
    {
        TimeSpan left = notAfter - now;
        CertificateValidity validity = now < notBefore || left <= TimeSpan.Zero ? CertificateValidity.NotValid
            : left <= TimeSpan.FromDays(warningDays) ? CertificateValidity.ExpiresSoon
            : CertificateValidity.Valid;
        return new CertificateExpiry(validity, notBefore, notAfter, left);
    }

    /// <summary>Assesses <paramref name="certificate"/> at <paramref name="now"/>.</summary>
    public static CertificateExpiry Of(ServerCertificate certificate, DateTimeOffset now, int warningDays)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Assess(new DateTimeOffset(certificate.Certificate.NotBefore.ToUniversalTime()), certificate.NotAfter, now, warningDays);
    }

    /// <summary>The state in words, for the health check and the logs.</summary>
    public string Describe() => Validity switch
    {
        CertificateValidity.NotValid when Left > TimeSpan.Zero => string.Create(CultureInfo.InvariantCulture, $"not valid before {NotBefore:yyyy-MM-dd'T'HH:mm:ss'Z'}"),
        CertificateValidity.NotValid => string.Create(CultureInfo.InvariantCulture, $"expired {NotAfter:yyyy-MM-dd'T'HH:mm:ss'Z'}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"expires {NotAfter:yyyy-MM-dd'T'HH:mm:ss'Z'}, in {Left.TotalDays:0.#} days"),
    };
}
