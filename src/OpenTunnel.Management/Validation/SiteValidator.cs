using OpenTunnel.Gateway.Contracts.Network;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Validation;

/// <summary>Checks a site before it is stored.</summary>
public static class SiteValidator
{
    public static ValidationErrors Validate(Site site)
    {
        ArgumentNullException.ThrowIfNull(site);
        var errors = new ValidationErrors();
        errors.RequireName("name", site.Name);
        if (string.IsNullOrWhiteSpace(site.PublicAddress))
        {
            errors.Add("publicAddress", "is required: the IP address or FQDN clients connect to.");
        }
        else if (!NetworkSyntax.TryParseAddress(site.PublicAddress, out _) && !NetworkSyntax.IsFqdn(site.PublicAddress))
        {
            errors.Add("publicAddress", $"'{site.PublicAddress}' is neither an IP address nor a fully qualified domain name.");
        }

        errors.RequireId("serverConfigurationId", site.ServerConfigurationId, "is required: a site applies one server configuration.");
        if (site.InternalProbeUrl is { } probe)
        {
            errors.RequireHttpUrl("internalProbeUrl", probe);
        }

        if (site.MaintenanceWindow is { } window)
        {
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(window.TimeZone ?? string.Empty, out _))
            {
                errors.Add("maintenanceWindow.timeZone", $"'{window.TimeZone}' is not a known time zone (use an IANA name such as Europe/Berlin).");
            }

            if (window.Length < MaintenanceWindow.MinimumLength)
            {
                errors.Add("maintenanceWindow", $"lasts {window.Length:h\\:mm}; a maintenance window lasts at least {MaintenanceWindow.MinimumLength:h\\:mm}.");
            }
        }

        return errors;
    }
}
