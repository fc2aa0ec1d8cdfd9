using System.Globalization;

namespace OpenTunnel.Trust;

/// <summary>Where a certificate stands against the clock and a number of warning days before its end.</summary>
public enum CertificateValidity
{
    /// <summary>Valid now and for more than the warning days.</summary>
    Valid,

    /// <summary>Valid now, but it expires within the warning days.</summary>
    ExpiresSoon,

    /// <summary>Expired, or not valid yet: peers refuse it.</summary>
    NotValid,
}

/// <summary>A certificate's validity at one moment, with the sentence the logs and the health checks give.</summary>
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

    /// <summary>The state in words, for the health check and the logs.</summary>
    public string Describe() => Validity switch
    {
        CertificateValidity.NotValid when Left > TimeSpan.Zero => string.Create(CultureInfo.InvariantCulture, $"not valid before {NotBefore:yyyy-MM-dd'T'HH:mm:ss'Z'}"),
        CertificateValidity.NotValid => string.Create(CultureInfo.InvariantCulture, $"expired {NotAfter:yyyy-MM-dd'T'HH:mm:ss'Z'}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"expires {NotAfter:yyyy-MM-dd'T'HH:mm:ss'Z'}, in {Left.TotalDays:0.#} days"),
    };
}

/// <summary>
/// When a certificate that needs the operator is logged again: at once when the certificate or its
/// state changes, then a warning daily while it expires soon and an error hourly once it is not
/// valid, so the log says it often enough to be seen and not so often that it drowns the rest.
/// One caller at a time.
/// </summary>
public sealed class ExpiryLogSchedule
{
    public static readonly TimeSpan WarnEvery = TimeSpan.FromDays(1);
    public static readonly TimeSpan ErrorEvery = TimeSpan.FromHours(1);

    private string? _loggedFor;
    private DateTimeOffset _loggedAt;
    private CertificateValidity _logged;

    /// <summary>True when the certificate with <paramref name="thumbprint"/>, in state <paramref name="expiry"/>, is to be logged at <paramref name="now"/>; never for a valid one.</summary>
    public bool Due(string thumbprint, CertificateExpiry expiry, DateTimeOffset now)
    {
        if (expiry.Validity == CertificateValidity.Valid)
        {
            return false;
        }

        TimeSpan every = expiry.Validity == CertificateValidity.NotValid ? ErrorEvery : WarnEvery;
        if (_loggedFor == thumbprint && _logged == expiry.Validity && now - _loggedAt < every)
        {
            return false;
        }

        (_loggedFor, _logged, _loggedAt) = (thumbprint, expiry.Validity, now);
        return true;
    }
}
