using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using OpenIddict.Validation;
using OpenTunnel.Identity.Settings;

namespace OpenTunnel.Identity.Keys;

/// <summary>
/// Checks the signing keys at start and then on an interval (a quarter of the rotation interval,
/// at most hourly); when the set changed, OpenIddict's options are rebuilt so the new key signs
/// and the JWKS publishes the new set, without a restart. With keys shared between replicas the
/// check runs every minute, so every replica publishes a key another one created.
/// </summary>
public sealed class SigningKeyRotation(
    SigningKeyRing ring,
    IdentityProviderOptions options,
    IOptionsMonitorCache<OpenIddictServerOptions> serverOptions,
    IOptionsMonitorCache<OpenIddictValidationOptions> validationOptions,
    TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan SharedCheckInterval = TimeSpan.FromMinutes(1);

    /// <summary>Refreshes the key ring; true when the keys changed and the options were rebuilt.</summary>
    public bool Refresh()
    {
        if (!ring.Refresh())
        {
            return false;
        }

        serverOptions.TryRemove(Options.DefaultName);
        validationOptions.TryRemove(Options.DefaultName);
        return true;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Refresh();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan interval = options.SigningKeyRotationInterval / 4 < TimeSpan.FromHours(1) ? options.SigningKeyRotationInterval / 4 : TimeSpan.FromHours(1);

        // Shared keys: a key another replica created is published here within a minute.
        if (ring.IsShared && interval > SharedCheckInterval)
        {
            interval = SharedCheckInterval;
        }

        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            Refresh();
        }
    }
}
