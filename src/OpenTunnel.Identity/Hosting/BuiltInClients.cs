using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenIddict.Abstractions;
using OpenTunnel.Identity.Settings;
using OpenTunnel.Identity.Tokens;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Hosting;

/// <summary>
/// Registers (or brings up to date) the three public clients at start, after the host's migrations:
/// <c>opentunnel-client</c> (device flow and refresh tokens, for the Linux client and openconnect
/// users) and <c>opentunnel-console</c> (authorization code with PKCE, redirect URIs from
/// <c>Identity:ConsoleRedirectUris</c>), and <c>opentunnel-gateway-browser</c> (the gateways' browser
/// sign-in: authorization code with PKCE for a gateway token, redirect URIs from
/// <c>Identity:GatewayBrowserRedirectUris</c>).
/// </summary>
internal sealed class BuiltInClients(IServiceProvider services, IdentityProviderOptions options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await EnsureAsync(DeviceClient(), cancellationToken);
        await EnsureAsync(ConsoleClient(options), cancellationToken);
        await EnsureAsync(GatewayBrowserClient(options), cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static OpenIddictApplicationDescriptor DeviceClient() => new()
    {
        ClientId = IdentityProviderOptions.DeviceClientId,
        ClientType = ClientTypes.Public,
        DisplayName = "OpenTunnel client",
        Permissions =
        {
            Permissions.Endpoints.DeviceAuthorization,
            Permissions.Endpoints.Token,
            Permissions.Endpoints.Revocation,
            Permissions.GrantTypes.DeviceCode,
            Permissions.GrantTypes.RefreshToken,
            Permissions.Scopes.Profile,
            Permissions.Prefixes.Scope + IdentityScopes.Gateway,
            Permissions.Prefixes.Scope + IdentityScopes.Device,
        },
    };

    internal static OpenIddictApplicationDescriptor ConsoleClient(IdentityProviderOptions options) =>
        CodeFlowClient(IdentityProviderOptions.ConsoleClientId, "OpenTunnel console", options.ConsoleRedirectUris,
            Permissions.Endpoints.Revocation, Permissions.GrantTypes.RefreshToken, Permissions.Prefixes.Scope + IdentityScopes.Device);

    /// <summary>
    /// The gateways' browser sign-in: a gateway redeems the code for a token with the gateway
    /// scope, so the token endpoint runs conditional access for it as for every gateway token (a
    /// browser presents no device key: policies that need a compliant device refuse it).
    /// </summary>
    internal static OpenIddictApplicationDescriptor GatewayBrowserClient(IdentityProviderOptions options) =>
        CodeFlowClient(IdentityProviderOptions.GatewayBrowserClientId, "OpenTunnel gateway (browser sign-in)", options.GatewayBrowserRedirectUris,
            Permissions.Prefixes.Scope + IdentityScopes.Gateway);

    /// <summary>A public client of the authorization code flow with PKCE required, the profile scope, <paramref name="permissions"/> beside, and <paramref name="redirectUris"/>.</summary>
    private static OpenIddictApplicationDescriptor CodeFlowClient(string clientId, string displayName, List<string> redirectUris, params string[] permissions)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientType = ClientTypes.Public,
            DisplayName = displayName,
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        descriptor.Permissions.UnionWith(permissions);
        foreach (string uri in redirectUris)
        {
            descriptor.RedirectUris.Add(new Uri(uri));
        }

        return descriptor;
    }

    /// <summary>
    /// Creates or updates one client. Replicas starting together on one database may both create
    /// it, or both update it: the loser's save fails on the unique client id or the concurrency
    /// token, or OpenIddict's own check before the insert finds the winner's client id; it tries
    /// again in a fresh unit of work, where it finds the winner's row. A descriptor that is not
    /// valid in itself fails the same way each time and is thrown on the third attempt.
    /// </summary>
    private async Task EnsureAsync(OpenIddictApplicationDescriptor descriptor, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            await using AsyncServiceScope scope = services.CreateAsyncScope();
            try
            {
                await EnsureAsync(scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>(), descriptor, cancellationToken);
                return;
            }
            catch (Exception e) when (attempt < 3 && e is DbUpdateException or OpenIddictExceptions.ConcurrencyException or OpenIddictExceptions.ValidationException)
            {
                // Another replica wrote the client at the same moment; read it again.
            }
        }
    }

    private static async Task EnsureAsync(IOpenIddictApplicationManager applications, OpenIddictApplicationDescriptor descriptor, CancellationToken cancellationToken)
    {
        if (await applications.FindByClientIdAsync(descriptor.ClientId!, cancellationToken) is { } existing)
        {
            await applications.UpdateAsync(existing, descriptor, cancellationToken);
        }
        else
        {
            await applications.CreateAsync(descriptor, cancellationToken);
        }
    }
}
