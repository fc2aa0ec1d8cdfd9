using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTunnel.Identity.Data;

namespace OpenTunnel.Identity.Credentials;

/// <summary>
/// TOTP seeds at rest: stored encrypted and authenticated with ASP.NET Core Data Protection, whose
/// key ring lives in the key directory (<c>data-protection</c>, mode 0700), never in the database,
/// so a copy of the database or a backup of it alone does not give away anyone's second factor. A
/// stored value is <see cref="Prefix"/> and the protected payload; a seed without the prefix was
/// written before seeds were protected, is still read, and is protected at the next start.
/// </summary>
public sealed class TotpSeeds(IDataProtectionProvider provider)
{
    public const string Prefix = "dp1:";

    private readonly IDataProtector _protector = provider.CreateProtector("OpenTunnel.Identity.TotpSeed.v1");

    public static bool IsProtected(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);

    public string Protect(string seed) => Prefix + _protector.Protect(seed);

    /// <summary>The seed; throws <see cref="InvalidDataException"/> when it cannot be decrypted (the key ring is not the one that protected it).</summary>
    public string Reveal(string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!IsProtected(stored))
        {
            return stored;
        }

        try
        {
            return _protector.Unprotect(stored[Prefix.Length..]);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException("A TOTP seed cannot be decrypted: the key directory's data-protection keys are not the ones that protected it (restore them, or turn TOTP off and on for the user).", e);
        }
    }
}

/// <summary>At start, protects the TOTP seeds still stored in plain text (written before seeds were protected).</summary>
public sealed partial class TotpSeedProtection(IServiceProvider services, ILogger<TotpSeedProtection> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using AsyncServiceScope scope = services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IdentityStore>();
        var seeds = scope.ServiceProvider.GetRequiredService<TotpSeeds>();
        List<UserCredential> plain = await store.Credentials
            .Where(c => c.TotpSecret != null && !c.TotpSecret.StartsWith(TotpSeeds.Prefix))
            .ToListAsync(cancellationToken);
        foreach (UserCredential credential in plain)
        {
            credential.TotpSecret = seeds.Protect(credential.TotpSecret!);
        }

        if (plain.Count > 0)
        {
            await store.Context.SaveChangesAsync(cancellationToken);
            LogProtected(logger, plain.Count);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 6113, Level = LogLevel.Information, Message = "{Count} TOTP seed(s) stored in plain text are now encrypted with the key directory's data-protection keys.")]
    private static partial void LogProtected(ILogger logger, int count);
}
