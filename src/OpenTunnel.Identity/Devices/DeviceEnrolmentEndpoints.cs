using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenTunnel.Identity.Data;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Identity.Contracts.Devices;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Devices;

/// <summary>
/// Device enrolment: a signed-in user (access token with scope <c>opentunnel.device</c>) enrols
/// a device with the public half of a key pair the device generated, and its posture; the device
/// then re-reports its posture on an interval, proving with a <c>Device-Assertion</c> header
/// (a device assertion whose <c>aud</c> is the posture URL) that it still holds the key.
/// </summary>
public static partial class DeviceEnrolmentEndpoints
{
    public const string Path = DeviceEnrolmentRoutes.Path;
    public const string AssertionHeader = DeviceEnrolmentRoutes.AssertionHeader;

    public static void MapDeviceEnrolment(this IEndpointRouteBuilder app, string authorizationPolicy)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Device-facing, signed in with the provider's own tokens and device keys, not administrator
        // credentials: documented in docs/identity.md beside the OIDC endpoints, not in the admin API's OpenAPI document.
        RouteGroupBuilder group = app.MapGroup(Path).ExcludeFromDescription();
        group.MapPost("", EnrolAsync).RequireAuthorization(authorizationPolicy).WithName("EnrolDevice");
        group.MapPut("{id:guid}/posture", ReportAsync).AllowAnonymous().WithName("ReportDevicePosture");
    }

    private static async Task<IResult> EnrolAsync(
        DeviceEnrolmentRequest request, ClaimsPrincipal principal, IdentityStore store, IDeviceDirectory devices, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        ILogger logger = loggers.CreateLogger(typeof(DeviceEnrolmentEndpoints));
        if (!Guid.TryParse(principal.GetClaim(Claims.Subject), out Guid userId))
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not a user token.", detail: "Devices are enrolled with a user's access token (device flow, scope opentunnel.device).");
        }

        (JsonWebKey? key, string? thumbprint, string? keyError) = DeviceKeys.Parse(request.PublicKey is { ValueKind: JsonValueKind.Object } jwk ? jwk.GetRawText() : null);
        if (key is null)
        {
            return Invalid("publicKey", keyError!);
        }

        if (await store.DeviceKeys.AnyAsync(k => k.Thumbprint == thumbprint, ct))
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The key is already enrolled.", detail: "Another device is enrolled with this public key; generate a new key pair for each device.");
        }

        await using IDbContextTransaction transaction = await store.Context.Database.BeginTransactionAsync(ct);
        DeviceWrite written = await devices.EnrolAsync(userId, Posture(request), ct);
        if (written.Device is not { } device)
        {
            return Results.ValidationProblem(written.Errors!, title: "The device report is not valid.");
        }

        store.DeviceKeys.Add(new DeviceKey { DeviceId = device.Id, PublicKeyJwk = DeviceKeys.Canonical(key), Thumbprint = thumbprint!, CreatedAt = time.GetUtcNow().UtcDateTime });
        await store.Context.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        LogEnrolled(logger, device.Id, userId, device.Compliance);
        return Results.Created($"{Path}/{device.Id}", Describe(device));
    }

    private static async Task<IResult> ReportAsync(
        Guid id, DeviceEnrolmentRequest request, HttpContext http, IdentityStore store, IDeviceDirectory devices, DeviceAssertionValidator assertions, IssuerUrls urls, ILoggerFactory loggers, CancellationToken ct)
    {
        ILogger logger = loggers.CreateLogger(typeof(DeviceEnrolmentEndpoints));
        string audience = urls.Of(http, $"{Path}/{id}/posture");
        DeviceAssertionResult proof = http.Request.Headers[AssertionHeader].ToString() is { Length: > 0 } assertion
            ? await assertions.ValidateAsync(assertion, audience, ct)
            : new DeviceAssertionResult(null, $"the {AssertionHeader} header is missing");
        if (proof.Device is null || proof.Device.Id != id)
        {
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Device not proven.",
                detail: $"A posture report must carry a {AssertionHeader} signed by the device's key, with aud {audience}: {proof.Error ?? "it names another device"}.");
        }

        DeviceWrite written = await devices.ReportAsync(id, Posture(request), ct);
        if (written.Device is not { } device)
        {
            return Results.ValidationProblem(written.Errors!, title: "The device report is not valid.");
        }

        await store.Context.SaveChangesAsync(ct);
        LogReported(logger, device.Id, device.Compliance);
        return Results.Ok(Describe(device));
    }

    private static DevicePosture Posture(DeviceEnrolmentRequest request) =>
        new(request.Name ?? "", request.Platform ?? "", request.OsVersion ?? "", request.DiskEncrypted, request.FirewallEnabled, request.ScreenLockEnabled);

    private static DeviceEnrolmentResponse Describe(DirectoryDevice device) => new(device.Id, device.Compliance.ToString(), device.Reasons);

    private static IResult Invalid(string field, string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The enrolment request is not valid.");

    [LoggerMessage(EventId = 6210, Level = LogLevel.Information, Message = "Device {DeviceId} of user {UserId} enrolled: {Compliance}.")]
    private static partial void LogEnrolled(ILogger logger, Guid deviceId, Guid userId, DeviceCompliance compliance);

    [LoggerMessage(EventId = 6211, Level = LogLevel.Information, Message = "Device {DeviceId} reported its posture: {Compliance}.")]
    private static partial void LogReported(ILogger logger, Guid deviceId, DeviceCompliance compliance);
}
