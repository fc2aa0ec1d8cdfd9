using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Tests.Validation;

[Trait("Category", "Unit")]
public sealed class AccessValidatorsTests
{
    [Theory]
    [InlineData("alice", true)]
    [InlineData("alice.smith@corp.example", true)]
    [InlineData("alice smith", false)]
    [InlineData("alice/smith", false)]
    [InlineData("", false)]
    public void ValidateUser_SignInName_AllowsOnlyPortableCharacters(string name, bool valid)
    {
        Assert.Equal(valid, !AccessValidators.Validate(new User { Name = name, DisplayName = "Alice" }).Has("name"));
    }

    [Fact]
    public void ValidateConditionalAccessPolicy_WithoutGroupsOrSites_NamesBoth()
    {
        var errors = AccessValidators.Validate(new ConditionalAccessPolicy { Name = "p" }).ToDictionary();

        Assert.Equal(["groupIds", "siteIds"], errors.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("14", true)]
    [InlineData("10.0.19045", true)]
    [InlineData("14.2 beta", false)]
    [InlineData("v14", false)]
    public void ValidateCompliancePolicy_MinimumOsVersion_IsDottedNumbers(string version, bool valid)
    {
        Assert.Equal(valid, AccessValidators.Validate(new CompliancePolicy { Name = "p", MinimumOsVersion = version }).IsValid);
    }

    [Theory]
    [InlineData("read-only", true)]
    [InlineData("full-admin", true)]
    [InlineData("admin", false)]
    [InlineData("", false)]
    public void ValidateApiKey_Role_IsOneOfTwo(string role, bool valid)
    {
        Assert.Equal(valid, AccessValidators.Validate(new ApiKey { Name = "ci", Role = role }).IsValid);
    }

    [Fact]
    public void ValidateDevice_WithoutOwnerOrOsVersion_NamesBoth()
    {
        var errors = AccessValidators.Validate(new Device { Name = "pc" }).ToDictionary();

        Assert.Equal(["osVersion", "ownerId"], errors.Keys.Order(StringComparer.Ordinal));
    }
}
