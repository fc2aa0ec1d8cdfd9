using Microsoft.AspNetCore.Http;
using OpenTunnel.Management.AdminConsole;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Settings;

namespace OpenTunnel.Management.Tests.AdminConsole;

[Trait("Category", "Unit")]
public sealed class ConsolePartsTests
{
    private static readonly ConsoleOptions Groups = new() { FullAdminGroups = ["admins"], ReadOnlyGroups = ["auditors"] };

    [Theory]
    [InlineData(new[] { "staff", "admins" }, ManagementRoles.FullAdmin)]
    [InlineData(new[] { "auditors", "admins" }, ManagementRoles.FullAdmin)]
    [InlineData(new[] { "auditors" }, ManagementRoles.ReadOnly)]
    [InlineData(new[] { "Admins", "staff" }, null)]
    [InlineData(new string[0], null)]
    public void ConsoleRoles_FromGroups_FullAdminWinsAndNamesCompareExactly(string[] groups, string? role) =>
        Assert.Equal(role, ConsoleRoles.For(groups, Groups));

    [Theory]
    [InlineData("/console/sites?x=1", "/console/sites?x=1")]
    [InlineData("/console", "/console")]
    [InlineData("//evil.example/console", "/console")]
    [InlineData("https://evil.example/console", "/console")]
    [InlineData("/consoles", "/console")]
    [InlineData("/console/\\evil.example", "/console")]
    [InlineData("/api/v1/sites", "/console")]
    [InlineData(null, "/console")]
    public void LocalReturnUrl_OnlyConsolePathsOfThisService(string? asked, string expected) =>
        Assert.Equal(expected, ConsoleSignIn.LocalReturnUrl(asked));

    [Fact]
    public void FieldErrors_IndexedPathGoesToTheListFieldWithItsLine_NestedPathsToTheirOwnField()
    {
        var errors = new FieldErrors();
        errors.Add("includeRoutes[3]", "'x' is not a CIDR.");
        errors.Add("maintenanceWindow.timeZone", "unknown.");
        errors.Add("name", "is required.");
        errors.Add("groupPolicies[1].includeRoutes[0]", "'y' is not a CIDR.");
        errors.Add("groupPolicies[1].group", "is required.");

        Assert.Equal(["line 4: 'x' is not a CIDR."], errors.For("includeRoutes"));
        Assert.Equal(["unknown."], errors.For("maintenanceWindow.timeZone"));
        Assert.Equal(["is required."], errors.For("name"));
        Assert.Equal(["line 1: 'y' is not a CIDR."], errors.For("groupPolicies[1].includeRoutes"));
        Assert.Equal(["is required."], errors.For("groupPolicies[1].group"));
        Assert.False(errors.Has("includeRoutes[3]"));
        Assert.False(errors.Has("groupPolicies[1]"));
    }

    [Theory]
    [InlineData("groupPolicies[0].includeRoutes[2]", "groupPolicies[2].includeRoutes[2]")]
    [InlineData("groupPolicies[1].group", "groupPolicies[3].group")]
    [InlineData("groupPolicies", "groupPolicies")]
    [InlineData("groupPoliciesX[0].group", "groupPoliciesX[0].group")]
    [InlineData("includeRoutes[0]", "includeRoutes[0]")]
    [InlineData("groupPolicies[7].group", "groupPolicies[7].group")]
    public void FieldErrors_RowPath_NamesTheFormRowAnItemWasPostedFrom(string path, string expected) =>
        Assert.Equal(expected, FieldErrors.RowPath(path, "groupPolicies", [2, 3]));

    [Fact]
    public void FieldErrors_FromAStaleWrite_IsStaleAndGeneral()
    {
        IResult stale = TypedResults.Problem(statusCode: StatusCodes.Status412PreconditionFailed, title: "The object changed since it was read.");

        Assert.True(FieldErrors.IsStale(stale));
        Assert.Equal(["The object changed since it was read."], FieldErrors.From(stale).General);
        Assert.False(FieldErrors.IsStale(TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["port"] = ["bad"] })));
    }

    [Fact]
    public void AuditDiff_NamesCreatedChangedAndRemovedFields_NotTheSameOnes()
    {
        IReadOnlyList<AuditChange> changes = AuditDiff.Changes(
            """{"name":"a","port":443,"routes":["198.18.0.0/24"],"gone":true}""",
            """{"name":"a","port":8443,"routes":["198.18.0.0/24","198.18.1.0/24"],"added":"x"}""");

        Assert.Equal(
            [
                new AuditChange("port", "443", "8443"),
                new AuditChange("routes", """["198.18.0.0/24"]""", """["198.18.0.0/24","198.18.1.0/24"]"""),
                new AuditChange("added", null, "x"),
                new AuditChange("gone", "true", null),
            ],
            changes);
        Assert.Equal([new AuditChange("name", null, "b")], AuditDiff.Changes(null, """{"name":"b"}"""));
    }

    [Theory]
    [InlineData(false, true, "an enrolled device; an enrolled one must be compliant", false, false)]
    [InlineData(false, false, "an enrolled device", false, true)]
    [InlineData(true, true, "any device but a retired one, or none; an enrolled one must be compliant", true, false)]
    [InlineData(true, false, "any device but a retired one, or none", true, true)]
    public void PolicyDeviceRule_InWords_SaysWhatTheEvaluatorDecides(bool allowUnenrolled, bool requireCompliant, string words, bool admitsNoDevice, bool admitsNonCompliant)
    {
        Guid group = Guid.NewGuid();
        Guid site = Guid.NewGuid();
        var policy = new ConditionalAccessPolicy { Name = "p", GroupIds = [group], SiteIds = [site], AllowUnenrolledDevices = allowUnenrolled, RequireCompliantDevice = requireCompliant };

        Assert.Equal(words, OpenTunnel.Management.AdminConsole.Pages.Policies.DeviceRule(policy));
        Assert.Equal(admitsNoDevice, ConditionalAccessEvaluator.Evaluate([group], site, null, [policy]).Allowed);
        Assert.Equal(admitsNonCompliant, ConditionalAccessEvaluator.Evaluate([group], site, new AccessDevice(EnrolmentState.Enrolled, ComplianceState.NonCompliant), [policy]).Allowed);
        Assert.True(ConditionalAccessEvaluator.Evaluate([group], site, new AccessDevice(EnrolmentState.Enrolled, ComplianceState.Compliant), [policy]).Allowed);
        Assert.False(ConditionalAccessEvaluator.Evaluate([group], site, new AccessDevice(EnrolmentState.Retired, ComplianceState.Compliant), [policy]).Allowed);
    }
}
