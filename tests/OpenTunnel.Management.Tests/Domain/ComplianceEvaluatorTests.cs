using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Tests.Domain;

[Trait("Category", "Unit")]
public sealed class ComplianceEvaluatorTests
{
    private static readonly DeviceReport GoodLaptop = new(Management.Domain.Platform.Windows, "10.0.22631", EnrolmentState.Enrolled, DiskEncrypted: true, FirewallEnabled: true);

    private static CompliancePolicy Policy(Management.Domain.Platform? platform = null, string? minimum = null, bool encryption = false, bool firewall = false) =>
        new() { Name = "baseline", Platform = platform, MinimumOsVersion = minimum, RequireDiskEncryption = encryption, RequireFirewall = firewall };

    [Fact]
    public void Evaluate_NoPolicies_IsCompliant()
    {
        ComplianceResult result = ComplianceEvaluator.Evaluate(GoodLaptop, []);

        Assert.Equal(ComplianceState.Compliant, result.State);
        Assert.Empty(result.Reasons);
    }

    [Fact]
    public void Evaluate_MeetsEveryRequirement_IsCompliant()
    {
        Assert.Equal(ComplianceState.Compliant, ComplianceEvaluator.Evaluate(GoodLaptop, [Policy(Management.Domain.Platform.Windows, "10.0.19045", true, true)]).State);
    }

    [Fact]
    public void Evaluate_OsBelowMinimum_IsNonCompliantWithReason()
    {
        ComplianceResult result = ComplianceEvaluator.Evaluate(GoodLaptop with { OsVersion = "10.0.17763" }, [Policy(minimum: "10.0.19045")]);

        Assert.Equal(ComplianceState.NonCompliant, result.State);
        Assert.Equal("Policy 'baseline': OS version 10.0.17763 is below the minimum 10.0.19045.", Assert.Single(result.Reasons));
    }

    [Fact]
    public void Evaluate_EveryUnmetRequirement_GivesItsOwnReason()
    {
        DeviceReport device = GoodLaptop with { DiskEncrypted = false, FirewallEnabled = null };

        ComplianceResult result = ComplianceEvaluator.Evaluate(device, [Policy(encryption: true, firewall: true)]);

        Assert.Equal(2, result.Reasons.Count);
        Assert.Contains("not encrypted", result.Reasons[0], StringComparison.Ordinal);
        Assert.Contains("did not report", result.Reasons[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_PolicyForAnotherPlatform_DoesNotApply()
    {
        Assert.Equal(ComplianceState.Compliant, ComplianceEvaluator.Evaluate(GoodLaptop with { DiskEncrypted = false }, [Policy(Management.Domain.Platform.MacOS, encryption: true)]).State);
    }

    [Fact]
    public void Evaluate_NotEnrolled_IsUnknown()
    {
        ComplianceResult result = ComplianceEvaluator.Evaluate(GoodLaptop with { EnrolmentState = EnrolmentState.AppProtected }, [Policy(encryption: true)]);

        Assert.Equal(ComplianceState.Unknown, result.State);
    }

    [Fact]
    public void Evaluate_UncomparableOsVersion_IsNonCompliant()
    {
        Assert.Equal(ComplianceState.NonCompliant, ComplianceEvaluator.Evaluate(GoodLaptop with { OsVersion = "Sonoma" }, [Policy(minimum: "14")]).State);
    }

    [Theory]
    [InlineData("14.10", "14.9", 1)]
    [InlineData("14", "14.0.0", 0)]
    [InlineData("13.6.1", "14", -1)]
    [InlineData("10.0.22631", "10.0.19045", 1)]
    public void CompareVersions_ComparesNumerically(string left, string right, int expected)
    {
        Assert.Equal(expected, Math.Sign(ComplianceEvaluator.CompareVersions(left, right)!.Value));
    }

    [Theory]
    [InlineData("14.x")]
    [InlineData("")]
    [InlineData("-1")]
    public void CompareVersions_NotDottedNumbers_IsNull(string version)
    {
        Assert.Null(ComplianceEvaluator.CompareVersions(version, "14"));
    }
}
