using System.Text.Json;
using OpenTunnel.Management.AdminConsole;
using OpenTunnel.Management.AdminConsole.Pages;
using OpenTunnel.Management.Api;
using OpenTunnel.Management.Api.Resources;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Tests.AdminConsole.Pages;

[Trait("Category", "Unit")]
public sealed class ConfigurationFormTests
{
    private static ServerConfiguration Stored() => new()
    {
        Name = "branch",
        Description = "Branch offices",
        Ipv4Range = "198.18.128.0/24",
        Ipv6Range = "2001:db8:1::/64",
        DnsServers = ["198.18.2.53"],
        DnsSuffixes = ["corp.example.com"],
        SplitDnsDomains = ["internal.example.com"],
        IncludeRoutes = ["198.18.2.0/24"],
        ExcludeRoutes = ["198.18.2.128/25"],
        Port = 8443,
        UdpDisabled = true,
        SessionTimeoutMinutes = 600,
        IdleTimeoutMinutes = 30,
        AllowClientToClient = true,
        LoadBalancing = new LoadBalancingSettings(LoadBalancingSettings.Redirect, 35),
        GroupPolicies =
        [
            new GroupPolicySettings("engineering", ["198.18.4.0/24"], null, ReplaceRoutes: true, ["198.18.4.53"], "eng.example.com"),
            new GroupPolicySettings("sales", ExcludeRoutes: ["198.18.5.0/24"]),
        ],
    };

    [Fact]
    public void FromStoredAndBack_GivesTheStoredConfigurationsInput_EveryField()
    {
        ServerConfiguration stored = Stored();
        ServerConfigurationInput asStored = ApiJson.AsInput<ServerConfigurationInput>(stored);
        var errors = new FieldErrors();

        ServerConfigurationInput edited = ConfigurationForm.From(stored).ToInput(errors, asStored);

        Assert.False(errors.Any);
        Assert.Equal(JsonSerializer.Serialize(asStored, ApiJson.Options), JsonSerializer.Serialize(edited, ApiJson.Options));
        Assert.Equal(35, edited.LoadBalancing!.ThresholdPercent);
        Assert.Equal("eng.example.com", edited.GroupPolicies![0].DnsSuffix);
    }

    [Fact]
    public void AsInput_CarriesEveryFieldTheInputShares_SoAFieldTheFormDoesNotSetKeepsItsStoredValue()
    {
        ServerConfiguration stored = Stored();
        var applied = new ServerConfiguration { Id = stored.Id };

        new ServerConfigurations().Apply(ApiJson.AsInput<ServerConfigurationInput>(stored), applied);

        Assert.Equal(JsonSerializer.Serialize(stored, ApiJson.Options), JsonSerializer.Serialize(applied, ApiJson.Options));
    }

    [Fact]
    public void LoadBalancing_OffWithoutThreshold_IsNone_AndAThresholdThatIsNoNumberIsNamed()
    {
        var errors = new FieldErrors();
        Assert.Null(new ConfigurationForm { Name = "a" }.ToInput(errors).LoadBalancing);
        Assert.Equal(
            new LoadBalancingSettings(LoadBalancingSettings.Redirect, LoadBalancingSettings.DefaultThresholdPercent),
            new ConfigurationForm { Name = "a", LoadBalancingMode = LoadBalancingSettings.Redirect }.ToInput(errors).LoadBalancing);
        Assert.False(errors.Any);

        new ConfigurationForm { Name = "a", LoadBalancingThresholdPercent = "lots" }.ToInput(errors);
        Assert.Equal(["'lots' is not a whole number."], errors.For("loadBalancing.thresholdPercent"));
    }

    [Fact]
    public void Validate_GroupPolicyMessagesStandAtTheRowTheyCameFrom_RemovedAndEmptyRowsAreNotSent()
    {
        var form = new ConfigurationForm
        {
            Name = "typing",
            IncludeRoutes = "198.18.2.0/24",
            LoadBalancingMode = "sideways",
            GroupPolicies =
            [
                new GroupPolicyForm { Group = "gone", IncludeRoutes = "not a route", Remove = true },
                new GroupPolicyForm(),
                new GroupPolicyForm { Group = "engineering", IncludeRoutes = "198.18.4.0/24\n198.18.300.0/24\n198.18.6.0/24" },
                new GroupPolicyForm { IncludeRoutes = "198.18.7.0/24" },
            ],
        };

        ConfigurationValidationView view = ConfigurationValidation.Validate(form);

        string message = Assert.Single(view.Fields["groupPolicies[2].includeRoutes"]);
        Assert.StartsWith("line 2: ", message, StringComparison.Ordinal);
        Assert.Contains("198.18.300.0/24", message, StringComparison.Ordinal);
        Assert.Contains("is required", Assert.Single(view.Fields["groupPolicies[3].group"]), StringComparison.Ordinal);
        Assert.Contains("'sideways'", Assert.Single(view.Fields["loadBalancing.mode"]), StringComparison.Ordinal);
        Assert.DoesNotContain(view.Fields.Keys, field => field.StartsWith("groupPolicies[0]", StringComparison.Ordinal) || field.StartsWith("groupPolicies[1]", StringComparison.Ordinal));

        // The configuration's route and the three good ones of the groups: the limit counts them all.
        Assert.Equal(4, view.Routes);
    }

    [Fact]
    public void Validate_CountsTheConfigurationsOwnRoutes_WhenTheyAreMoreThanTheUnion()
    {
        // Two include routes, one inside the other: the union holds one, the configuration lists two.
        var form = new ConfigurationForm
        {
            Name = "count",
            IncludeRoutes = "198.18.0.0/16\n198.18.2.0/24",
            GroupPolicies = [new GroupPolicyForm { Group = "engineering", IncludeRoutes = "198.18.4.0/24" }],
        };

        Assert.Equal(2, ConfigurationValidation.Validate(form).Routes);
    }
}
