using Microsoft.AspNetCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace OpenTunnel.Identity.Endpoints;

/// <summary>
/// At a device authorization request (<c>/connect/device</c>), records in the device and user
/// codes who asked: the requesting address and the device name the client gave (optional
/// parameter <c>device_name</c>), so that the verification page can show them before the person
/// consents (RFC 8628 section 5.4: the user must be able to tell a device they hold from a phisher's).
/// OpenIddict copies every claim of this principal into the user code.
/// </summary>
public sealed class DeviceRequestDetails : IOpenIddictServerHandler<ProcessSignInContext>
{
    public const string RequesterClaim = "oti_requester";
    public const string DeviceNameClaim = "oti_device_name";
    public const string DeviceNameParameter = "device_name";
    public const int MaximumDeviceNameLength = 64;

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
        .UseSingletonHandler<DeviceRequestDetails>()
        .SetOrder(OpenIddictServerHandlers.PrepareUserCodePrincipal.Descriptor.Order - 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ProcessSignInContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.EndpointType != OpenIddictServerEndpointType.DeviceAuthorization || context.Principal is not { } principal)
        {
            return default;
        }

        string address = context.Transaction.GetHttpRequest()?.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        principal.SetClaim(RequesterClaim, address);
        if ((string?)context.Request[DeviceNameParameter] is { Length: > 0 } name && !string.IsNullOrWhiteSpace(name))
        {
            principal.SetClaim(DeviceNameClaim, name.Length > MaximumDeviceNameLength ? name[..MaximumDeviceNameLength] : name.Trim());
        }

        return default;
    }
}
