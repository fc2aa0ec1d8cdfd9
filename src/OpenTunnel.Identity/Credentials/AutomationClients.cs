using System.Security.Cryptography;
using System.Text.Json;
using OpenIddict.Abstractions;
using OpenTunnel.Identity.Tokens;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Credentials;

/// <summary>A client of the client-credentials flow, as the management API shows it (never its secret, except once at creation).</summary>
public sealed record AutomationClient(string ClientId, string DisplayName, string? Role);

/// <summary>
/// Confidential clients for automation (client credentials, RFC 6749 section 4.4): each gets a
/// random secret shown once (OpenIddict stores only its hash) and a management role that its
/// tokens carry in <c>role</c>. Their tokens are for the management API only.
/// </summary>
public sealed class AutomationClients(IOpenIddictApplicationManager applications)
{
    public const string RoleProperty = "opentunnel_role";
    public const string ClientIdPrefix = "automation-";

    public async Task<(AutomationClient Client, string Secret)> CreateAsync(string name, string role, CancellationToken cancellationToken)
    {
        string secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = ClientIdPrefix + name,
            ClientSecret = secret,
            ClientType = ClientTypes.Confidential,
            DisplayName = name,
            Permissions =
            {
                Permissions.Endpoints.Token,
                Permissions.Endpoints.Revocation,
                Permissions.GrantTypes.ClientCredentials,
                Permissions.Prefixes.Scope + IdentityScopes.Management,
            },
        };
        descriptor.Properties[RoleProperty] = JsonSerializer.SerializeToElement(role);
        await applications.CreateAsync(descriptor, cancellationToken);
        return (new AutomationClient(descriptor.ClientId, name, role), secret);
    }

    public async Task<List<AutomationClient>> ListAsync(CancellationToken cancellationToken)
    {
        var clients = new List<AutomationClient>();
        await foreach (object application in applications.ListAsync(count: null, offset: null, cancellationToken))
        {
            if (await applications.GetClientIdAsync(application, cancellationToken) is { } id && id.StartsWith(ClientIdPrefix, StringComparison.Ordinal))
            {
                clients.Add(await DescribeAsync(application, id, cancellationToken));
            }
        }

        return clients;
    }

    /// <summary>Deletes the client; its tokens stop working when they expire (OpenIddict deletes its stored tokens with it).</summary>
    public async Task<bool> DeleteAsync(string clientId, CancellationToken cancellationToken)
    {
        if (!clientId.StartsWith(ClientIdPrefix, StringComparison.Ordinal) || await applications.FindByClientIdAsync(clientId, cancellationToken) is not { } application)
        {
            return false;
        }

        await applications.DeleteAsync(application, cancellationToken);
        return true;
    }

    private async Task<AutomationClient> DescribeAsync(object application, string clientId, CancellationToken cancellationToken)
    {
        var properties = await applications.GetPropertiesAsync(application, cancellationToken);
        string? role = properties.TryGetValue(RoleProperty, out JsonElement value) ? value.GetString() : null;
        return new AutomationClient(clientId, await applications.GetDisplayNameAsync(application, cancellationToken) ?? clientId, role);
    }
}
