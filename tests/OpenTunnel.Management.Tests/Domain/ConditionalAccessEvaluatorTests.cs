using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Tests.Domain;

[Trait("Category", "Unit")]
public sealed class ConditionalAccessEvaluatorTests
{
    private static readonly Guid Staff = Guid.NewGuid();
    private static readonly Guid Contractors = Guid.NewGuid();
    private static readonly Guid Berlin = Guid.NewGuid();
    private static readonly Guid Paris = Guid.NewGuid();
    private static readonly AccessDevice Compliant = new(EnrolmentState.Enrolled, ComplianceState.Compliant);

    private static ConditionalAccessPolicy Policy(Guid group, Guid site, bool compliant = true, bool unenrolled = false, bool enabled = true) =>
        new() { Name = "p", GroupIds = [group], SiteIds = [site], RequireCompliantDevice = compliant, AllowUnenrolledDevices = unenrolled, Enabled = enabled };

    [Fact]
    public void Evaluate_MemberWithCompliantDevice_IsAllowed()
    {
        Assert.True(ConditionalAccessEvaluator.Evaluate([Staff], Berlin, Compliant, [Policy(Staff, Berlin)]).Allowed);
    }

    [Fact]
    public void Evaluate_NoPolicyForTheSite_IsRefused()
    {
        AccessDecision decision = ConditionalAccessEvaluator.Evaluate([Staff], Paris, Compliant, [Policy(Staff, Berlin)]);

        Assert.False(decision.Allowed);
        Assert.Contains("No enabled", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_NotInTheGroup_IsRefused()
    {
        Assert.False(ConditionalAccessEvaluator.Evaluate([Contractors], Berlin, Compliant, [Policy(Staff, Berlin)]).Allowed);
    }

    [Fact]
    public void Evaluate_DisabledPolicy_DoesNotGrant()
    {
        Assert.False(ConditionalAccessEvaluator.Evaluate([Staff], Berlin, Compliant, [Policy(Staff, Berlin, enabled: false)]).Allowed);
    }

    [Fact]
    public void Evaluate_NonCompliantDevice_IsRefusedWithReason()
    {
        AccessDecision decision = ConditionalAccessEvaluator.Evaluate([Staff], Berlin, new AccessDevice(EnrolmentState.Enrolled, ComplianceState.NonCompliant), [Policy(Staff, Berlin)]);

        Assert.False(decision.Allowed);
        Assert.Contains("requires a compliant device", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_NonCompliantDevice_IsAllowedWhenPolicyDoesNotRequireCompliance()
    {
        Assert.True(ConditionalAccessEvaluator.Evaluate([Staff], Berlin, new AccessDevice(EnrolmentState.Enrolled, ComplianceState.NonCompliant), [Policy(Staff, Berlin, compliant: false)]).Allowed);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Evaluate_UnenrolledDevice_FollowsThePolicy(bool allowUnenrolled, bool expected)
    {
        var appProtected = new AccessDevice(EnrolmentState.AppProtected, ComplianceState.Unknown);

        Assert.Equal(expected, ConditionalAccessEvaluator.Evaluate([Staff], Berlin, appProtected, [Policy(Staff, Berlin, unenrolled: allowUnenrolled)]).Allowed);
        Assert.Equal(expected, ConditionalAccessEvaluator.Evaluate([Staff], Berlin, null, [Policy(Staff, Berlin, unenrolled: allowUnenrolled)]).Allowed);
    }

    [Fact]
    public void Evaluate_RetiredDevice_IsRefusedEvenWhereUnenrolledAreAllowed()
    {
        var retired = new AccessDevice(EnrolmentState.Retired, ComplianceState.Unknown);

        Assert.False(ConditionalAccessEvaluator.Evaluate([Staff], Berlin, retired, [Policy(Staff, Berlin, unenrolled: true)]).Allowed);
    }

    [Fact]
    public void Evaluate_AnyGrantingPolicy_IsEnough()
    {
        var appProtected = new AccessDevice(EnrolmentState.AppProtected, ComplianceState.Unknown);
        ConditionalAccessPolicy[] policies = [Policy(Staff, Berlin), Policy(Contractors, Berlin, unenrolled: true)];

        Assert.True(ConditionalAccessEvaluator.Evaluate([Staff, Contractors], Berlin, appProtected, policies).Allowed);
    }
}
