namespace OpenTunnel.Testing;

/// <summary>
/// A clock whose wall clock is <paramref name="inner"/>'s stepped by <see cref="Step"/> while its
/// monotonic clock (<see cref="GetTimestamp"/>) is <paramref name="inner"/>'s unchanged, as a step
/// of the system clock (NTP, an administrator) does.
/// </summary>
public sealed class SteppedWallClock(TimeProvider inner) : TimeProvider
{
    public TimeSpan Step { get; set; }

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + Step;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;
}
