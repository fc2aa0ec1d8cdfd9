using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Identity.Credentials;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Management.Auth;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Api;

/// <summary>Body of PUT /api/v1/users/{id}/password.</summary>
public sealed record PasswordInput(string? Password);

/// <summary>Answer of POST /api/v1/users/{id}/revoke-sessions.</summary>
public sealed record RevokedSessions(long RevokedTokens);

/// <summary>Body of POST /api/v1/automation-clients.</summary>
public sealed record AutomationClientInput(string? Name, string? Role);

/// <summary>The new client with its secret, shown only in the answer to its creation.</summary>
public sealed record CreatedAutomationClient(AutomationClient Client, string ClientSecret);

/// <summary>What an audit entry records of a credential change: never the password or the secret.</summary>
public sealed record CredentialChange(Guid UserId, string Change);

/// <summary>
/// Administration of the embedded identity provider: users' passwords and TOTP second factor,
/// revoking a user's sessions, and automation clients (client credentials). Full-admin only;
/// each change is audited without its secret. The console's user page calls the credential methods too.
/// </summary>
public static class IdentityAdministrationEndpoints
{
    public static void MapIdentityAdministration(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        RouteGroupBuilder users = api.MapGroup("users/{id:guid}").WithTags("users").RequireAuthorization(AuthorizationSetup.WritePolicy);
        users.MapPut("password", SetPasswordAsync).WithName("SetUserPassword");
        users.MapPost("totp", EnableTotpAsync).WithName("EnableUserTotp");
        users.MapDelete("totp", DisableTotpAsync).WithName("DisableUserTotp");
        users.MapPost("revoke-sessions", RevokeSessionsAsync).WithName("RevokeUserSessions");
        api.MapPost("devices/{id:guid}/approve", ApproveDeviceAsync).WithName("ApproveDevice").WithTags("devices").RequireAuthorization(AuthorizationSetup.WritePolicy);

        RouteGroupBuilder clients = api.MapGroup("automation-clients").WithTags("automation-clients");
        clients.MapGet("", (AutomationClients automation, CancellationToken ct) => automation.ListAsync(ct)).WithName("ListAutomationClients");
        clients.MapPost("", CreateClientAsync).WithName("CreateAutomationClient").RequireAuthorization(AuthorizationSetup.WritePolicy);
        clients.MapDelete("{clientId}", DeleteClientAsync).WithName("DeleteAutomationClient").RequireAuthorization(AuthorizationSetup.WritePolicy);
    }

    internal static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SetPasswordAsync(
        Guid id, PasswordInput input, IUserDirectory users, CredentialAdministration credentials, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        if (await users.FindByIdAsync(id, ct) is not { } user)
        {
            return ResourceEndpoints.NotFound("user", id);
        }

        if (CredentialAdministration.CheckPassword(input.Password) is { } problem)
        {
            var errors = new ValidationErrors();
            errors.Add("password", problem);
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The password is not acceptable.");
        }

        await credentials.SetPasswordAsync(user, input.Password!, ct);
        Audit(db, http, id, "password set", clock);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Created<TotpEnrolment>, ProblemHttpResult>> EnableTotpAsync(
        Guid id, IUserDirectory users, CredentialAdministration credentials, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        if (await users.FindByIdAsync(id, ct) is not { } user)
        {
            return ResourceEndpoints.NotFound("user", id);
        }

        TotpEnrolment enrolment = await credentials.EnableTotpAsync(user, ct);
        Audit(db, http, id, "TOTP on", clock);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"{ManagementApi.Prefix}/users/{id}/totp", enrolment);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DisableTotpAsync(
        Guid id, IUserDirectory users, CredentialAdministration credentials, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        if (await users.FindByIdAsync(id, ct) is not { } user)
        {
            return ResourceEndpoints.NotFound("user", id);
        }

        await credentials.DisableTotpAsync(user, ct);
        Audit(db, http, id, "TOTP off", clock);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Ok<RevokedSessions>, ProblemHttpResult>> RevokeSessionsAsync(
        Guid id, IUserDirectory users, CredentialAdministration credentials, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        if (await users.FindByIdAsync(id, ct) is not { } user)
        {
            return ResourceEndpoints.NotFound("user", id);
        }

        Audit(db, http, id, "sessions revoked", clock);
        long revoked = await credentials.RevokeSessionsAsync(user, AuditTrail.ActorOf(http.User), ct);
        return TypedResults.Ok(new RevokedSessions(revoked));
    }

    /// <summary>Approves a device pending under Identity:DeviceApproval administrator: it becomes enrolled and its compliance is evaluated (also the console's Approve).</summary>
    internal static async Task<Results<Ok<Device>, ProblemHttpResult>> ApproveDeviceAsync(Guid id, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        if (await db.Devices.FirstOrDefaultAsync(d => d.Id == id, ct) is not { } device)
        {
            return ResourceEndpoints.NotFound("device", id);
        }

        if (device.EnrolmentState != EnrolmentState.Pending)
        {
            return ResourceEndpoints.Conflict("The device is not pending approval.", $"Device {id} is {device.EnrolmentState}; only a pending device can be approved.");
        }

        string before = AuditTrail.Snapshot(device);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        device.EnrolmentState = EnrolmentState.Enrolled;
        Resources.DeviceCompliance.Apply(device, await db.CompliancePolicies.AsNoTracking().ToListAsync(ct));
        device.Version++;
        device.UpdatedAt = now;
        AuditTrail.Record(db, AuditTrail.ActorOf(http.User), AuditAction.Updated, device, device.Id, before, AuditTrail.Snapshot(device), now);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(device);
    }

    private static async Task<Results<Created<CreatedAutomationClient>, ValidationProblem, ProblemHttpResult>> CreateClientAsync(
        AutomationClientInput input, AutomationClients automation, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        errors.RequireName("name", input.Name, 64);
        if (!string.IsNullOrEmpty(input.Name) && !input.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            errors.Add("name", $"'{input.Name}' may hold only letters, digits and . _ -.");
        }

        if (!ManagementRoles.IsKnown(input.Role))
        {
            errors.Add("role", $"'{input.Role}' is not a role; use {ManagementRoles.ReadOnly} or {ManagementRoles.FullAdmin}.");
        }

        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The automation client is not valid.");
        }

        if ((await automation.ListAsync(ct)).Exists(c => c.DisplayName == input.Name))
        {
            return ResourceEndpoints.Conflict("Another automation client has this name.", $"An automation client named '{input.Name}' exists; names are unique.");
        }

        (AutomationClient client, string secret) = await automation.CreateAsync(input.Name!, input.Role!, ct);
        AuditTrail.Record(db, AuditTrail.ActorOf(http.User), AuditAction.Created, client, Guid.Empty, null, AuditTrail.Snapshot(client), clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"{ManagementApi.Prefix}/automation-clients/{client.ClientId}", new CreatedAutomationClient(client, secret));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteClientAsync(
        string clientId, AutomationClients automation, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        if (!await automation.DeleteAsync(clientId, ct))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such automation client.", detail: $"No automation client has id {clientId}.");
        }

        AuditTrail.Record(db, AuditTrail.ActorOf(http.User), AuditAction.Deleted, new AutomationClient(clientId, clientId, null), Guid.Empty, null, null, clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static void Audit(ManagementDbContext db, HttpContext http, Guid userId, string change, TimeProvider clock)
    {
        var record = new CredentialChange(userId, change);
        AuditTrail.Record(db, AuditTrail.ActorOf(http.User), AuditAction.Updated, record, userId, null, AuditTrail.Snapshot(record), clock.GetUtcNow().UtcDateTime);
    }
}
