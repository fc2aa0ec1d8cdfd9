using OpenTunnel.Client.Connect;

namespace OpenTunnel.Client.Tests.Connect;

[Trait("Category", "Unit")]
public sealed class OpenConnectRestartTests
{
    private static readonly TimeSpan Connected = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(130)]
    public void UserStopOrOtherFailure_IsNotRestarted(int exitCode)
    {
        Assert.False(new OpenConnectRestart().ShouldRestart(exitCode, Connected, out _));
    }

    [Theory]
    [InlineData(OpenConnectRestart.SessionEnded)]
    [InlineData(OpenConnectRestart.CookieRefused)]
    public void ConnectedRunEndedByTheGateway_RestartsAtOnce_EveryTime(int exitCode)
    {
        var restart = new OpenConnectRestart();

        for (int i = 0; i < 10; i++)
        {
            Assert.True(restart.ShouldRestart(exitCode, Connected, out TimeSpan pause));
            Assert.Equal(TimeSpan.Zero, pause);
        }
    }

    [Fact]
    public void ShortRuns_BackOffAndGiveUpAtTheThird_AConnectedRunStartsTheCountAgain()
    {
        var restart = new OpenConnectRestart();

        Assert.True(restart.ShouldRestart(OpenConnectRestart.SessionEnded, Short, out TimeSpan first));
        Assert.True(restart.ShouldRestart(OpenConnectRestart.CookieRefused, Short, out TimeSpan second));
        Assert.True(restart.ShouldRestart(OpenConnectRestart.SessionEnded, Connected, out _));
        Assert.True(restart.ShouldRestart(OpenConnectRestart.SessionEnded, Short, out _));
        Assert.True(restart.ShouldRestart(OpenConnectRestart.SessionEnded, Short, out _));
        Assert.False(restart.ShouldRestart(OpenConnectRestart.SessionEnded, Short, out _));

        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)), (first, second));
    }

    [Theory]
    [InlineData(OpenConnectRestart.SessionEnded)]
    [InlineData(OpenConnectRestart.CookieRefused)]
    [InlineData(3)]
    public void AlwaysOn_ShortRunsNeverGiveUp_PauseDoublesToAMinute(int exitCode)
    {
        var restart = new OpenConnectRestart(alwaysOn: true);
        var pauses = new List<double>();

        for (int i = 0; i < 10; i++)
        {
            Assert.True(restart.ShouldRestart(exitCode, Short, out TimeSpan pause));
            pauses.Add(pause.TotalSeconds);
        }

        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60, 60, 60], pauses);
        Assert.Equal(10, restart.QuickFailures);
    }

    [Fact]
    public void AlwaysOn_UserStop_IsNotRestarted_AConnectedRunRestartsAtOnce_AFailedTokenCountsAsAShortRun()
    {
        var restart = new OpenConnectRestart(alwaysOn: true);

        Assert.False(restart.ShouldRestart(0, Short, out _));
        Assert.Equal(TimeSpan.FromSeconds(1), restart.Failed());
        Assert.Equal(TimeSpan.FromSeconds(2), restart.Failed());
        Assert.True(restart.ShouldRestart(OpenConnectRestart.SessionEnded, Connected, out TimeSpan pause));
        Assert.Equal(TimeSpan.Zero, pause);
        Assert.Equal(TimeSpan.FromSeconds(1), restart.Failed());
    }
}
