using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace OpenTunnel.Identity.Tests.Harness;

/// <summary>The service on a clock the test moves (OpenIddict and the provider take TimeProvider from the container), for expiries.</summary>
public sealed class FakeClockIdentityFixture : IdentityFixture
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}
