using Microsoft.Extensions.Options;
using OpenTunnel.Management.Agents;

namespace OpenTunnel.Management.Tests.Agents;

[Trait("Category", "Unit")]
public sealed class AgentLinkOptionsValidatorTests
{
    [Fact]
    public void Validate_GatewayAuthCaPinNotAPin_IsRefusedNamingTheSetting()
    {
        var options = new AgentLinkOptions { GatewayAuth = new GatewayAuthOptions { Issuer = "https://login.example/", Audience = "gw", CaPin = "sha256//abc" } };

        ValidateOptionsResult result = new AgentLinkOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Management:Agents:GatewayAuth:CaPin 'sha256//abc' must read pin-sha256:", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_GatewayAuthCaPinWellFormed_IsTaken()
    {
        var options = new AgentLinkOptions
        {
            GatewayAuth = new GatewayAuthOptions { Issuer = "https://login.example/", Audience = "gw", CaPin = "pin-sha256:" + Convert.ToBase64String(new byte[32]) },
        };

        Assert.True(new AgentLinkOptionsValidator().Validate(null, options).Succeeded);
    }
}
