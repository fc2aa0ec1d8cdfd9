using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenTunnel.Gateway.Auth;

namespace OpenTunnel.Gateway.Tests.Auth;

[Trait("Category", "Unit")]
public sealed class AuthLogTests
{
    [Fact]
    public void Outcome_Refused_LogsOneWarningNamingClientCheckAndDetail()
    {
        var logger = new FakeLogger();

        AuthLog.Outcome(logger, "198.18.1.2:50123", TokenValidationOutcome.Refused(TokenRefusal.WrongAudience, "audience 'x' is not 'y'"));

        FakeLogRecord record = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(3101, record.Id.Id);
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Equal("Access token from 198.18.1.2:50123 refused (WrongAudience): audience 'x' is not 'y'", record.Message);
    }

    [Fact]
    public void Outcome_Accepted_LogsOneInformationWithUserAndDevice()
    {
        var logger = new FakeLogger();
        var outcome = new TokenValidationOutcome(TokenRefusal.None, "alice", "device-1", "accepted")
        {
            ExpiresAt = new DateTimeOffset(2026, 11, 28, 21, 0, 0, TimeSpan.Zero),
        };

        AuthLog.Outcome(logger, "198.18.1.2:50123", outcome);

        FakeLogRecord record = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(3100, record.Id.Id);
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Equal("Access token from 198.18.1.2:50123 accepted: user alice, device device-1, expires 2026-11-28 21:00:00Z", record.Message);
    }
}
