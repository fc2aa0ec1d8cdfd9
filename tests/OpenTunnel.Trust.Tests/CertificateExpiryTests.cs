namespace OpenTunnel.Trust.Tests;

[Trait("Category", "Unit")]
public sealed class CertificateExpiryTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(31, CertificateValidity.Valid, "expires 2027-01-03T12:00:00Z, in 31 days")]
    [InlineData(30, CertificateValidity.ExpiresSoon, "expires 2027-01-02T12:00:00Z, in 30 days")]
    [InlineData(0.5, CertificateValidity.ExpiresSoon, "expires 2026-12-04T00:00:00Z, in 0.5 days")]
    [InlineData(0, CertificateValidity.NotValid, "expired 2026-12-03T12:00:00Z")]
    [InlineData(-3, CertificateValidity.NotValid, "expired 2026-11-30T12:00:00Z")]
    public void Assess_AgainstTheWarningDays(double daysLeft, CertificateValidity expected, string described)
    {
        var expiry = CertificateExpiry.Assess(Now.AddDays(-100), Now.AddDays(daysLeft), Now, warningDays: 30);

        Assert.Equal(expected, expiry.Validity);
        Assert.Equal(described, expiry.Describe());
    }

    [Fact]
    public void Assess_BeforeItsStart_IsNotValid_AndSaysFromWhen()
    {
        var expiry = CertificateExpiry.Assess(Now.AddHours(2), Now.AddDays(365), Now, warningDays: 30);

        Assert.Equal(CertificateValidity.NotValid, expiry.Validity);
        Assert.Equal("not valid before 2026-12-03T14:00:00Z", expiry.Describe());
    }
}
