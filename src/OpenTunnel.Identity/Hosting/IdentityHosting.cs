using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using OpenIddict.Validation;
using OpenIddict.Validation.AspNetCore;
using OpenTunnel.Identity.Access;
using OpenTunnel.Identity.Credentials;
using OpenTunnel.Identity.Data;
using OpenTunnel.Identity.Devices;
using OpenTunnel.Identity.Endpoints;
using OpenTunnel.Identity.Keys;
using OpenTunnel.Identity.Settings;
using OpenTunnel.Identity.Tokens;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Hosting;

/// <summary>
/// Hosts the identity provider in a service: <see cref="AddOpenTunnelIdentity{TContext}"/> registers
/// OpenIddict (server over the host's EF Core context, and token validation for the device
/// enrolment endpoints), the keys, sign-in and conditional-access plumbing; the host supplies
/// <see cref="Contracts.IUserDirectory"/>, <see cref="Contracts.IDeviceDirectory"/> and
/// <see cref="Contracts.IConditionalAccess"/> and <see cref="Contracts.IGatewaySessions"/>. <see cref="MapOpenTunnelIdentity"/> maps the endpoints.
/// </summary>
public static class IdentityHosting
{
    /// <summary>Authorization policy of the device-facing endpoints (device enrolment, the user's VPN profiles): a token of this provider for the management audience with scope <c>opentunnel.device</c>.</summary>
    public const string DeviceEnrolmentPolicy = "identity-device-enrolment";

    public const string DeviceAuthorizationPath = "/connect/device";
    public const string RevocationPath = "/connect/revoke";

    /// <summary>
    /// Registers the provider; <paramref name="defaultKeyDirectory"/> gives the key folder when
    /// <c>Identity:KeyDirectory</c> is not set (the host's data directory). When
    /// <paramref name="sharedSecrets"/> gives a store (the host's replicas share a database), the
    /// signing keys, the token encryption key and the data-protection keys are kept there instead
    /// of the key folder, so every replica signs, encrypts and protects with the same keys.
    /// </summary>
    public static IServiceCollection AddOpenTunnelIdentity<TContext>(
        this IServiceCollection services, Func<IServiceProvider, string> defaultKeyDirectory, Func<IServiceProvider, ISharedSecretStore?>? sharedSecrets = null)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(defaultKeyDirectory);
        services.AddSingleton(sp => new IdentitySecretStore(sharedSecrets?.Invoke(sp)));
        services.AddOptions<IdentityProviderOptions>()
            .BindConfiguration(IdentityProviderOptions.Section)
            .PostConfigure<IServiceProvider>((o, sp) => o.KeyDirectory ??= defaultKeyDirectory(sp))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<IdentityProviderOptions>, IdentityProviderOptionsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<IdentityProviderOptions>>().Value);
        services.AddSingleton(sp =>
        {
            IdentityProviderOptions o = sp.GetRequiredService<IdentityProviderOptions>();
            return new SigningKeyRing(Path.Combine(o.KeyDirectory!, "signing-keys"), o.SigningKeyRotationInterval, o.RetiredKeyRetention,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SigningKeyRing>>(), sp.GetRequiredService<IdentitySecretStore>().Store);
        });
        services.AddSingleton<SigningKeyRotation>();
        services.AddHostedService(sp => sp.GetRequiredService<SigningKeyRotation>());
        services.AddHostedService<BuiltInClients>();
        services.AddSingleton<AccessEventDelivery>();
        services.AddHostedService(sp => sp.GetRequiredService<AccessEventDelivery>());
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<TokenMetrics>();

        // TOTP seeds (and the verification page's anti-forgery tokens) are protected with keys kept
        // beside the signing keys, or in the shared store when the host's replicas share one.
        services.AddDataProtection().SetApplicationName("OpenTunnel.Identity");
        services.AddOptions<KeyManagementOptions>().Configure<IdentityProviderOptions, ILoggerFactory, IdentitySecretStore, TimeProvider>((o, identity, logs, shared, time) =>
        {
            string directory = Path.Combine(identity.KeyDirectory!, "data-protection");
            if (shared.Store is { } store)
            {
                o.XmlRepository = new SharedXmlRepository(store, directory, time);
                return;
            }

            KeyDirectory.Ensure(directory);
            o.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(directory), logs);
        });
        services.AddSingleton<TotpSeeds>();
        services.AddAntiforgery();
        services.AddHostedService<TotpSeedProtection>();
        services.AddScoped(sp => new IdentityStore(sp.GetRequiredService<TContext>()));
        services.AddScoped<UserSignIn>();
        services.AddScoped<DeviceAssertionValidator>();
        services.AddScoped<CredentialAdministration>();
        services.AddScoped<AutomationClients>();
        services.AddScoped<TokenEndpoint>();
        services.AddScoped<InteractiveEndpoints>();
        services.AddScoped<UserInfoEndpoint>();
        services.AddSingleton<IssuerUrls>();

        services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<TContext>())
            .AddServer(o =>
            {
                o.SetTokenEndpointUris(TokenEndpoint.Path.TrimStart('/'))
                    .SetAuthorizationEndpointUris(InteractiveEndpoints.AuthorizationPath.TrimStart('/'))
                    .SetDeviceAuthorizationEndpointUris(DeviceAuthorizationPath.TrimStart('/'))
                    .SetEndUserVerificationEndpointUris(InteractiveEndpoints.VerificationPath.TrimStart('/'))
                    .SetUserInfoEndpointUris(UserInfoEndpoint.Path.TrimStart('/'))
                    .SetRevocationEndpointUris(RevocationPath.TrimStart('/'));
                o.AllowDeviceAuthorizationFlow()
                    .AllowAuthorizationCodeFlow()
                    .RequireProofKeyForCodeExchange()
                    .AllowClientCredentialsFlow()
                    .AllowRefreshTokenFlow();
                o.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.OfflineAccess, IdentityScopes.Gateway, IdentityScopes.Device, IdentityScopes.Management);

                // Gateways validate access tokens with the JWKS alone (docs/authentication.md): they must be signed JWTs, not JWEs.
                o.DisableAccessTokenEncryption();
                o.AddEventHandler<OpenIddictServerEvents.ApplyTokenResponseContext>(b => b.UseSingletonHandler<TokenErrorLog>());
                o.AddEventHandler<OpenIddictServerEvents.ApplyTokenResponseContext>(b => b.UseSingletonHandler<TokenMetrics>());
                o.AddEventHandler(DeviceRequestDetails.Descriptor);
                o.UseAspNetCore()
                    .EnableTokenEndpointPassthrough()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableEndUserVerificationEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableErrorPassthrough();
            })
            .AddValidation(o =>
            {
                o.UseLocalServer();
                o.UseAspNetCore();
            });

        // Read when OpenIddict first builds its options, so settings given to the host late (tests) count.
        services.AddOptions<OpenIddictServerOptions>().Configure<IdentityProviderOptions, SigningKeyRing, IdentitySecretStore, TimeProvider>(ConfigureServer);
        services.AddOptions<OpenIddictServerAspNetCoreOptions>().Configure<IdentityProviderOptions>((o, identity) => o.DisableTransportSecurityRequirement = !identity.RequireHttps);
        services.AddOptions<OpenIddictValidationOptions>().Configure<IdentityProviderOptions>((o, identity) => o.Audiences.Add(identity.ManagementAudience));

        services.AddAuthorizationBuilder().AddPolicy(DeviceEnrolmentPolicy, p => p
            .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(c => c.User.HasScope(IdentityScopes.Device)));
        return services;
    }

    public static IEndpointRouteBuilder MapOpenTunnelIdentity(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(TokenEndpoint.Path, (HttpContext http, TokenEndpoint token) => token.ExchangeAsync(http)).AllowAnonymous().ExcludeFromDescription();
        // The verification page checks its anti-forgery token itself (it reads the form by hand).
        app.MapMethods(InteractiveEndpoints.VerificationPath, [HttpMethods.Get, HttpMethods.Post], (HttpContext http, InteractiveEndpoints pages) => pages.VerifyAsync(http))
            .AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapMethods(InteractiveEndpoints.AuthorizationPath, [HttpMethods.Get, HttpMethods.Post], (HttpContext http, InteractiveEndpoints pages) => pages.AuthorizeAsync(http))
            .AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapMethods(UserInfoEndpoint.Path, [HttpMethods.Get, HttpMethods.Post], (HttpContext http, UserInfoEndpoint info) => info.GetAsync(http))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapDeviceEnrolment(DeviceEnrolmentPolicy);
        return app;
    }

    private static void ConfigureServer(OpenIddictServerOptions server, IdentityProviderOptions identity, SigningKeyRing ring, IdentitySecretStore shared, TimeProvider time)
    {
        if (identity.Issuer is not null)
        {
            server.Issuer = new Uri(identity.Issuer);
        }

        server.AccessTokenLifetime = identity.AccessTokenLifetime;
        server.IdentityTokenLifetime = identity.AccessTokenLifetime;
        server.RefreshTokenLifetime = identity.RefreshTokenLifetime;
        server.DeviceCodeLifetime = identity.DeviceCodeLifetime;
        server.UserCodeLifetime = identity.DeviceCodeLifetime;
        server.AuthorizationCodeLifetime = identity.AuthorizationCodeLifetime;
        if (ring.Keys.Count == 0)
        {
            ring.Refresh();
        }

        // Newest first: OpenIddict signs with the first usable key and publishes them all in the JWKS.
        foreach (SigningKey key in ring.Keys)
        {
            server.SigningCredentials.Add(new SigningCredentials(new RsaSecurityKey(key.Rsa) { KeyId = key.KeyId }, SecurityAlgorithms.RsaSha256));
        }

        byte[] encryption = shared.Store is { } store
            ? KeyDirectory.LoadOrCreateEncryptionKey(identity.KeyDirectory!, store, time.GetUtcNow())
            : KeyDirectory.LoadOrCreateEncryptionKey(identity.KeyDirectory!);
        server.EncryptionCredentials.Add(new EncryptingCredentials(new SymmetricSecurityKey(encryption), SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
    }
}

/// <summary>The host's shared secret store, or null when the keys stay in the key folder.</summary>
internal sealed record IdentitySecretStore(ISharedSecretStore? Store);

/// <summary>Refuses bad <c>Identity</c> settings at start-up, naming each.</summary>
internal sealed class IdentityProviderOptionsValidator : IValidateOptions<IdentityProviderOptions>
{
    public ValidateOptionsResult Validate(string? name, IdentityProviderOptions options)
    {
        IReadOnlyList<string> errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
