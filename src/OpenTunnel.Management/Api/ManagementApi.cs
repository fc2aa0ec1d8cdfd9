using OpenTunnel.Management.AccessLog;
using OpenTunnel.Management.Api.Resources;
using OpenTunnel.Management.Auth;

namespace OpenTunnel.Management.Api;

/// <summary>Every endpoint under /api/v1. Reading needs read-only or full-admin; writing needs full-admin.</summary>
public static class ManagementApi
{
    public const string Prefix = "/api/v1";

    public static RouteGroupBuilder MapManagementApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup(Prefix).RequireAuthorization(AuthorizationSetup.ReadPolicy);
        api.MapResource(new ServerConfigurations());
        api.MapResource(new Sites());
        api.MapResource(new Servers());
        api.MapResource(new VpnProfiles());
        api.MapResource(new Devices());
        api.MapResource(new CompliancePolicies());
        api.MapResource(new ConditionalAccessPolicies());
        api.MapResource(new Users());
        api.MapIdentityAdministration();
        api.MapResource(new Groups());
        api.MapResource(new ApiKeys()).MapApiKeyCreation();
        api.MapAudit();
        api.MapAccessLog();
        return api;
    }
}
