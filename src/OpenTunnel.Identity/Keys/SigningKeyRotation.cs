using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using OpenIddict.Validation;
using OpenTunnel.Identity.Settings;

namespace OpenTunnel.Identity.Keys;

/// <summary>
/// Checks the signing keys at start and then on an interval (a quarter of the rotation interval,
/// at most hourly); when the set changed, OpenIddict's options are rebuilt so the new key signs
/// and the JWKS publishes the new set, without a restart.
/// </summary>
public sealed class SigningKeyRotation(
    SigningKeyRing ring,
    IdentityProviderOptions options,
    IOptionsMonitorCache<OpenIddictServerOptions> serverOptions,
    IOptionsMonitorCache<OpenIddictValidationOptions> validationOptions,
    TimeProvider time) : BackgroundService
{
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
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            Refresh();
        }
    }
}
