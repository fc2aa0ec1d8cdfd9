using System.Globalization;
using Microsoft.IdentityModel.JsonWebTokens;

namespace OpenTunnel.Client.Native;

/// <summary>
/// Keeps the gateway token of a native connect fresh while the tunnel runs, so that a reconnect
/// that needs a fresh sign-in (the gateway forgot the session cookie) finds a token the gateway
/// takes, without asking the identity provider at that moment. A new token is fetched (the
/// sign-in's refresh token, <see cref="Oidc.SignInRefresher"/>) when a fifth of the current one's
/// lifetime is left, at most <see cref="MaxMargin"/> before it expires; a refused or failed
/// renewal is said and tried again every <see cref="RetryInterval"/>, and the current token stays.
/// A token without an expiry (<c>exp</c>) is never renewed.
/// </summary>
public sealed class TokenRenewal(string token, Func<CancellationToken, Task<string>> renew, TextWriter progress, TimeProvider time)
{
    /// <summary>The most time before expiry a token is renewed.</summary>
    public static readonly TimeSpan MaxMargin = TimeSpan.FromMinutes(5);

    /// <summary>The wait after a failed renewal before the next try.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(30);

    private volatile string _current = token;

    /// <summary>The freshest token: the one the sign-in of a reconnect presents.</summary>
    public string Current => _current;

    /// <summary>When <paramref name="token"/> should be renewed, or null when it carries no expiry (or is no JWT).</summary>
    public static DateTimeOffset? RenewAt(string token)
    {
        if (Read(token) is not { } jwt || !jwt.TryGetPayloadValue("exp", out long exp))
        {
            return null;
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(exp);
        TimeSpan margin = jwt.TryGetPayloadValue("iat", out long iat) ? (expires - DateTimeOffset.FromUnixTimeSeconds(iat)) / 5 : MaxMargin;
        return expires - (margin > MaxMargin ? MaxMargin : margin < TimeSpan.Zero ? TimeSpan.Zero : margin);
    }

    /// <summary>Renews the token whenever it is due, until <paramref name="stop"/>.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while (RenewAt(_current) is { } due)
            {
                TimeSpan wait = due - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stop);
                }

                string? failure;
                try
                {
                    string renewed = await renew(stop);
                    _current = renewed;
                    failure = RenewAt(renewed) is { } next && next <= time.GetUtcNow() ? $"the provider's new token{Until(renewed)} is already due for renewal" : null;
                    if (failure is null)
                    {
                        progress.WriteLine($"The gateway token was renewed{Until(renewed)}.");
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failure = e.Message;
                }

                if (failure is not null)
                {
                    progress.WriteLine($"The gateway token could not be renewed ({failure}); trying again in {RetryInterval.TotalSeconds:0} s. A reconnect that needs a new sign-in uses the current one meanwhile.");
                    await Task.Delay(RetryInterval, time, stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The tunnel ended.
        }
    }

    private static string Until(string token) =>
        Read(token) is { } jwt && jwt.TryGetPayloadValue("exp", out long exp)
            ? " (valid until " + DateTimeOffset.FromUnixTimeSeconds(exp).ToString("u", CultureInfo.InvariantCulture) + ")"
            : string.Empty;

    private static JsonWebToken? Read(string token)
    {
        try
        {
            return new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
