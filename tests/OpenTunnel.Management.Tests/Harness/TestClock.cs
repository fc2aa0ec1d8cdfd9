namespace OpenTunnel.Management.Tests.Harness;

/// <summary>A clock a test moves by hand, so expiry can be tested without waiting.</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
