namespace OpenTunnel.Identity.Tests.Harness;

/// <summary>The service with Identity:DeviceApproval administrator: a new device waits for an administrator's approval.</summary>
public sealed class DeviceApprovalIdentityFixture : IdentityFixture
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Identity:DeviceApproval"] = "administrator",
    };
}
