using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenTunnel.Identity.Data;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Identity.Settings;

namespace OpenTunnel.Identity.Devices;

/// <summary>The device whose key signed the assertion, or why the assertion was refused.</summary>
public sealed record DeviceAssertionResult(DirectoryDevice? Device, string? Error);

/// <summary>
/// Checks proof that the caller holds an enrolled device's private key: a JWT in the style of
/// RFC 7523 section 3, signed by that key, with <c>iss</c> = <c>sub</c> = the device id,
/// <c>aud</c> = the URL it is sent to (the token endpoint), a short <c>exp</c> (at most
/// <c>Identity:DeviceAssertionMaximumLifetime</c> ahead) and a <c>jti</c> that may be used once
/// (RFC 7523 section 3, item 7). Without it, nobody can obtain a token in a device's name.
/// </summary>
public sealed partial class DeviceAssertionValidator(
    IdentityStore store, IDeviceDirectory devices, IdentityProviderOptions options, TimeProvider time, ILogger<DeviceAssertionValidator> logger)
{
    public const int MaximumAssertionLength = 8 * 1024;

    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private static readonly string[] Algorithms =
        [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256];

    private readonly JsonWebTokenHandler _handler = new() { MaximumTokenSizeInBytes = MaximumAssertionLength };

    public async Task<DeviceAssertionResult> ValidateAsync(string assertion, string audience, CancellationToken cancellationToken)
    {
        DeviceAssertionResult result = await CheckAsync(assertion, audience, cancellationToken);
        if (result.Error is not null)
        {
            LogRefused(logger, audience, result.Error);
        }

        return result;
    }

    private async Task<DeviceAssertionResult> CheckAsync(string assertion, string audience, CancellationToken cancellationToken)
    {
        if (assertion.Length > MaximumAssertionLength || !_handler.CanReadToken(assertion))
        {
            return Refuse("the device assertion is not a signed JWT");
        }

        var jwt = new JsonWebToken(assertion);
        if (!Guid.TryParse(jwt.Issuer, out Guid deviceId) || jwt.Subject != jwt.Issuer)
        {
            return Refuse("the device assertion's iss and sub must both be the device id");
        }

        DeviceKey? stored = await store.DeviceKeys.AsNoTracking().FirstOrDefaultAsync(k => k.DeviceId == deviceId, cancellationToken);
        DirectoryDevice? device = stored is null ? null : await devices.FindAsync(deviceId, cancellationToken);
        if (stored is null || device is null)
        {
            return Refuse($"device {deviceId} is not enrolled with a key");
        }

        DateTimeOffset now = time.GetUtcNow();
        TokenValidationResult validation = await _handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = jwt.Issuer,
            ValidAudience = audience,
            IssuerSigningKey = new JsonWebKey(stored.PublicKeyJwk),
            ValidAlgorithms = Algorithms,
            RequireExpirationTime = true,
            ClockSkew = ClockSkew,
            LifetimeValidator = (notBefore, expires, _, _) => expires is { } exp && exp + ClockSkew > now.UtcDateTime && (notBefore is null || notBefore.Value - ClockSkew <= now.UtcDateTime),
        });
        if (!validation.IsValid)
        {
            return Refuse(validation.Exception switch
            {
                SecurityTokenInvalidAudienceException => $"the device assertion's aud must be {audience}",
                SecurityTokenInvalidLifetimeException => "the device assertion has expired or is not valid yet",
                SecurityTokenInvalidAlgorithmException => "the device assertion must be signed with ES256, RS256 or PS256",
                _ => $"the device assertion's signature does not verify with device {deviceId}'s enrolled key",
            });
        }

        if (jwt.ValidTo - now.UtcDateTime > options.DeviceAssertionMaximumLifetime + ClockSkew)
        {
            return Refuse($"the device assertion is valid for longer than {options.DeviceAssertionMaximumLifetime}; make it short-lived");
        }

        if (string.IsNullOrEmpty(jwt.Id) || jwt.Id.Length > 100)
        {
            return Refuse("the device assertion needs a jti (a unique id, at most 100 characters)");
        }

        if (!await MarkUsedAsync($"{deviceId} {jwt.Id}", jwt.ValidTo + ClockSkew, now.UtcDateTime, cancellationToken))
        {
            return Refuse($"the device assertion {jwt.Id} was already used; sign a new one for each request");
        }

        return new DeviceAssertionResult(device, null);
    }

    /// <summary>Records the jti; false when it was recorded before (the primary key refuses the second insert, also across replicas).</summary>
    private async Task<bool> MarkUsedAsync(string id, DateTime expiresAt, DateTime now, CancellationToken cancellationToken)
    {
        await store.UsedDeviceAssertions.Where(u => u.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
        var used = new UsedDeviceAssertion { Id = id, ExpiresAt = expiresAt };
        store.UsedDeviceAssertions.Add(used);
        try
        {
            await store.Context.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            store.Context.Entry(used).State = EntityState.Detached;
            return false;
        }
    }

    private static DeviceAssertionResult Refuse(string error) => new(null, error);

    [LoggerMessage(EventId = 6200, Level = LogLevel.Warning, Message = "Device assertion for {Audience} refused: {Reason}.")]
    private static partial void LogRefused(ILogger logger, string audience, string reason);
}
