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
using OpenIddict.Client;
using OpenIddict.Client.AspNetCore;
using OpenIddict.Client.SystemNetHttp;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using OpenIddict.Validation;
using OpenIddict.Validation.AspNetCore;
using OpenTunnel.Identity.Access;
using OpenTunnel.Identity.Credentials;
using OpenTunnel.Identity.Data;
using OpenTunnel.Identity.Devices;
using OpenTunnel.Identity.Endpoints;
using OpenTunnel.Identity.Federation;
using OpenTunnel.Identity.Keys;
using OpenTunnel.Identity.Settings;
using OpenTunnel.Identity.Tokens;
using OpenTunnel.Trust;
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
        services.AddScoped<UpstreamSignIn>();
        services.AddSingleton<IssuerUrls>();

        // Carries a user signed in upstream from the callback back to the page that asked, once.
        services.AddAuthentication().AddCookie(UpstreamSignIn.CookieScheme, o =>
        {
            o.Cookie.Name = "opentunnel-upstream-sign-in";
            o.Cookie.Path = "/connect";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromMinutes(5);
            o.SlidingExpiration = false;
        });

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
            })
            .AddClient(o =>
            {
                // Federation (Identity:Upstreams): the code flow with PKCE to each upstream, and its refresh at each of ours.
                o.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow();
                o.SetRedirectionEndpointUris(InteractiveEndpoints.UpstreamCallbackPath.TrimStart('/'));
                o.UseAspNetCore().EnableRedirectionEndpointPassthrough();
                o.UseSystemNetHttp();
            });

        // Read when OpenIddict first builds its options, so settings given to the host late (tests) count.
        services.AddOptions<OpenIddictServerOptions>().Configure<IdentityProviderOptions, SigningKeyRing, IdentitySecretStore, TimeProvider>(ConfigureServer);
        services.AddOptions<OpenIddictServerAspNetCoreOptions>().Configure<IdentityProviderOptions>((o, identity) => o.DisableTransportSecurityRequirement = !identity.RequireHttps);
        services.AddOptions<OpenIddictClientOptions>().Configure<IdentityProviderOptions, SigningKeyRing, IdentitySecretStore, TimeProvider>(ConfigureClient);
        services.AddOptions<OpenIddictClientAspNetCoreOptions>().Configure<IdentityProviderOptions>((o, identity) =>
        {
            o.DisableTransportSecurityRequirement = !identity.RequireHttps;
            // No authentication scheme per upstream name: a name must not shadow one of the host's schemes.
            o.DisableAutomaticAuthenticationSchemeForwarding = true;
        });
        services.AddOptions<OpenIddictClientSystemNetHttpOptions>().Configure<IdentityProviderOptions>((o, identity) =>
            o.HttpClientHandlerActions.Add((registration, handler) => TrustUpstream(identity, registration, handler)));
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
        app.MapMethods(InteractiveEndpoints.UpstreamCallbackPath, [HttpMethods.Get, HttpMethods.Post], (HttpContext http, InteractiveEndpoints pages) => pages.UpstreamCallbackAsync(http))
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
        // Newest first: OpenIddict signs with the first usable key and publishes them all in the JWKS.
        server.SigningCredentials.AddRange(SigningCredentialsOf(ring));
        server.EncryptionCredentials.Add(EncryptionCredentials(identity, shared, time));
    }

    /// <summary>The signing keys of the ring, newest first (read from the folder or the shared store first when the ring is empty).</summary>
    private static List<SigningCredentials> SigningCredentialsOf(SigningKeyRing ring)
    {
        if (ring.Keys.Count == 0)
        {
            ring.Refresh();
        }

        return ring.Keys.Select(key => new SigningCredentials(new RsaSecurityKey(key.Rsa) { KeyId = key.KeyId }, SecurityAlgorithms.RsaSha256)).ToList();
    }

    /// <summary>The token encryption key (the key folder's, or the shared store's), which also protects the client's state tokens.</summary>
    private static EncryptingCredentials EncryptionCredentials(IdentityProviderOptions identity, IdentitySecretStore shared, TimeProvider time)
    {
        byte[] encryption = shared.Store is { } store
            ? KeyDirectory.LoadOrCreateEncryptionKey(identity.KeyDirectory!, store, time.GetUtcNow())
            : KeyDirectory.LoadOrCreateEncryptionKey(identity.KeyDirectory!);
        return new EncryptingCredentials(new SymmetricSecurityKey(encryption), SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512);
    }

    /// <summary>
    /// One client registration per upstream provider, redirecting to <see cref="InteractiveEndpoints.UpstreamCallbackPath"/>
    /// (relative: the issuer's host). The state tokens of the code flow are signed and encrypted with
    /// the server's keys, so every replica can read the state another one wrote.
    /// </summary>
    private static void ConfigureClient(OpenIddictClientOptions client, IdentityProviderOptions identity, SigningKeyRing ring, IdentitySecretStore shared, TimeProvider time)
    {
        foreach (UpstreamProviderOptions upstream in identity.Upstreams)
        {
            var registration = new OpenIddictClientRegistration
            {
                ProviderName = upstream.Name,
                ProviderDisplayName = upstream.Name,
                Issuer = new Uri(upstream.Issuer, UriKind.Absolute),
                ClientId = upstream.ClientId,
                ClientSecret = upstream.ClientSecret,
                RedirectUri = new Uri(InteractiveEndpoints.UpstreamCallbackPath.TrimStart('/'), UriKind.Relative),
            };
            registration.Scopes.UnionWith(upstream.EffectiveScopes);
            client.Registrations.Add(registration);
        }

        client.SigningCredentials.AddRange(SigningCredentialsOf(ring));
        client.EncryptionCredentials.Add(EncryptionCredentials(identity, shared, time));
    }

    /// <summary>An upstream with <c>CaFile</c> is trusted by that CA (checked at start), not by the system's trust store.</summary>
    private static void TrustUpstream(IdentityProviderOptions identity, OpenIddictClientRegistration registration, HttpClientHandler handler)
    {
        if (identity.Upstreams.Find(u => u.Name == registration.ProviderName) is { CaFile: { } caFile } upstream)
        {
            DeploymentTrust trust = DeploymentTrust.FromCaFile(caFile, $"{IdentityProviderOptions.Section}:Upstreams {upstream.Name} CaFile");
            handler.ServerCertificateCustomValidationCallback = (request, certificate, chain, _) => trust.Validate(request.RequestUri!.IdnHost, certificate, chain);
        }
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
