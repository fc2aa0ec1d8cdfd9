using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Identity.Data;

namespace OpenTunnel.Identity.Access;

/// <summary>
/// Continuous access evaluation: delivers recorded <see cref="AccessEvent"/>s. For each event the
/// user's refresh tokens are revoked (a user event) and the gateways terminate the user's or the
/// device's sessions; the event is marked delivered only when that succeeded, else it is tried
/// again on the next round. A round runs when a change signals one (<see cref="Notify"/>) and at
/// least every <see cref="PollInterval"/> (events written by other replicas), so sessions end
/// within seconds of the change.
/// </summary>
public sealed partial class AccessEventDelivery(IServiceProvider services, TimeProvider time, ILogger<AccessEventDelivery> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Asks for a delivery round now (after a save that recorded events).</summary>
    public void Notify()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another change signalled first; one round delivers both.
            }
        }
    }

    /// <summary>Delivers every pending event; the number delivered.</summary>
    public async Task<int> DeliverPendingAsync(CancellationToken cancellationToken)
    {
        await using AsyncServiceScope scope = services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IdentityStore>();
        var gateways = scope.ServiceProvider.GetRequiredService<IGatewaySessions>();
        var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        List<AccessEvent> pending = await store.AccessEvents.Where(e => e.DeliveredAt == null).OrderBy(e => e.Id).Take(100).ToListAsync(cancellationToken);
        int delivered = 0;
        foreach (AccessEvent access in pending)
        {
            try
            {
                if (access.DeviceId is null && access.UserId is { } user)
                {
                    await tokens.RevokeBySubjectAsync(user.ToString(), cancellationToken);
                }

                int told = access.Target is { } target ? await gateways.TerminateAsync(target, cancellationToken) : 0;
                access.DeliveredAt = time.GetUtcNow().UtcDateTime;
                await store.Context.SaveChangesAsync(cancellationToken);
                delivered++;
                LogDelivered(logger, access.Id, access.Kind, access.Target, told, access.Reason);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or DbUpdateException or System.Text.Json.JsonException)
            {
                LogDeliveryFailed(logger, access.Id, access.Kind, access.Target, e.Message);
            }
        }

        return delivered;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await _signal.WaitAsync(PollInterval, stoppingToken);
            try
            {
                await DeliverPendingAsync(stoppingToken);
            }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException && !stoppingToken.IsCancellationRequested)
            {
                LogRoundFailed(logger, e.Message);
            }
        }
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 6400, Level = LogLevel.Warning, Message = "Access event {EventId} ({Kind}) delivered: {Gateways} gateway(s) told to end the sessions of {Target}. {Reason}")]
    private static partial void LogDelivered(ILogger logger, long eventId, AccessEventKind kind, string? target, int gateways, string reason);

    [LoggerMessage(EventId = 6401, Level = LogLevel.Error, Message = "Access event {EventId} ({Kind}) for {Target} not delivered, will retry: {Reason}")]
    private static partial void LogDeliveryFailed(ILogger logger, long eventId, AccessEventKind kind, string? target, string reason);

    [LoggerMessage(EventId = 6402, Level = LogLevel.Error, Message = "Access event delivery round failed, will retry: {Reason}")]
    private static partial void LogRoundFailed(ILogger logger, string reason);
}
