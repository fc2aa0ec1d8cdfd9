using Microsoft.Extensions.Time.Testing;
using OpenTunnel.Gateway.SignIn;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.SignIn;

[Trait("Category", "Unit")]
public sealed class AccessRevocationsTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly AccessRevocations _revocations;

    public AccessRevocationsTests() => _revocations = new AccessRevocations(_time);

    [Fact]
    public void RevokedAfterIssue_TokenIssuedBeforeTheRevocation_GivesTheRevocationTime()
    {
        _revocations.Revoke("alice");

        Assert.Equal(Start, _revocations.RevokedAfterIssue("alice", null, Start.AddSeconds(-1)));
    }

    [Fact]
    public void RevokedAfterIssue_SubjectRevoked_RefusesItsTokenUnderANewUserName()
    {
        const string subject = "3f2b0c1e-6a0d-4f6e-9a55-0c1f5e2d7b10";
        _revocations.Revoke(subject);

        Assert.Equal(Start, _revocations.RevokedAfterIssue("alice-renamed", null, Start.AddSeconds(-1), subject));
        Assert.Null(_revocations.RevokedAfterIssue("bob", null, Start.AddSeconds(-1), "another-subject"));
    }

    [Fact]
    public void RevokedAfterIssue_TokenIssuedAfterTheRevocation_IsNotRevoked()
    {
        _revocations.Revoke("alice");

        Assert.Null(_revocations.RevokedAfterIssue("alice", null, Start.AddSeconds(1)));
    }

    [Fact]
    public void RevokedAfterIssue_TokenWithoutIssuedAt_CountsAsIssuedBefore()
    {
        _revocations.Revoke("alice");

        Assert.Equal(Start, _revocations.RevokedAfterIssue("alice", null, null));
    }

    [Fact]
    public void RevokedAfterIssue_RevokedDevice_RefusesItsTokensForAnyUser_AndOtherDevicesPass()
    {
        _revocations.Revoke("device-1");

        Assert.Equal(Start, _revocations.RevokedAfterIssue("bob", "device-1", Start.AddMinutes(-5)));
        Assert.Null(_revocations.RevokedAfterIssue("bob", "device-2", Start.AddMinutes(-5)));
    }

    [Fact]
    public void RevokedAfterIssue_UserAndDeviceRevoked_GivesTheLaterRevocation()
    {
        _revocations.Revoke("bob");
        _time.Advance(TimeSpan.FromMinutes(1));
        _revocations.Revoke("device-1");

        Assert.Equal(Start.AddMinutes(1), _revocations.RevokedAfterIssue("bob", "device-1", Start.AddSeconds(30)));
    }

    [Fact]
    public void Revoke_AtAnEarlierMoment_RefusesOnlyTokensIssuedBeforeItPlusTheClockSkewAllowance()
    {
        _revocations.Revoke("alice", Start.AddMinutes(-10));

        DateTimeOffset effective = Start.AddMinutes(-10) + AccessRevocations.ClockSkewAllowance;
        Assert.Equal(effective, _revocations.RevokedAfterIssue("alice", null, effective.AddSeconds(-1)));
        Assert.Null(_revocations.RevokedAfterIssue("alice", null, effective.AddSeconds(1)));
    }

    [Fact]
    public void Revoke_MomentWithinTheClockSkewAllowance_IsTakenAsNow()
    {
        Assert.Equal(Start, _revocations.Revoke("alice", Start.AddMinutes(-1)));
    }

    [Fact]
    public void Revoke_LateDeliveryOfAnOlderRevocation_KeepsTheNewerOne()
    {
        _revocations.Revoke("alice");

        DateTimeOffset recorded = _revocations.Revoke("alice", Start.AddHours(-1));

        Assert.Equal(Start, recorded);
    }

    [Fact]
    public void Revoke_MomentInTheFuture_IsTakenAsNow()
    {
        Assert.Equal(Start, _revocations.Revoke("alice", Start.AddHours(1)));
    }

    [Fact]
    public void Revoke_AfterTheRetention_OldEntriesAreForgotten()
    {
        _revocations.Revoke("alice");
        _time.Advance(AccessRevocations.Retention);

        Assert.Null(_revocations.RevokedAfterIssue("alice", null, null));
        _revocations.Revoke("bob");
        Assert.Equal(1, _revocations.Count);
    }

    [Fact]
    public void Load_AfterARestart_StillRefusesTokensIssuedBeforeTheSavedRevocation()
    {
        using var directory = new TemporaryDirectory();
        string file = directory.File("revocations.json");
        AccessRevocations.Load(file, _time, out _).Revoke("alice");
        _time.Advance(TimeSpan.FromMinutes(5));

        AccessRevocations restarted = AccessRevocations.Load(file, _time, out string? problem);

        Assert.Null(problem);
        Assert.Equal(Start, restarted.RevokedAfterIssue("alice", null, Start.AddSeconds(-1)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public void Revoke_FileCannotBeWritten_HoldsInMemory_AndTheNextRevocationWritesTheWholeFileOnceItCan()
    {
        using var directory = new TemporaryDirectory();
        string folder = Path.Combine(directory.Path, "missing");
        string file = Path.Combine(folder, "revocations.json");
        var revocations = new AccessRevocations(_time, file);

        revocations.Revoke("alice");

        Assert.False(revocations.Saved);
        Assert.Equal(Start, revocations.RevokedAfterIssue("alice", null, Start.AddSeconds(-1)));
        Directory.CreateDirectory(folder);
        revocations.Revoke("bob");
        Assert.True(revocations.Saved);
        AccessRevocations restarted = AccessRevocations.Load(file, _time, out _);
        Assert.Equal(Start, restarted.RevokedAfterIssue("alice", null, Start.AddSeconds(-1)));
        Assert.Equal(Start, restarted.RevokedAfterIssue("bob", null, Start.AddSeconds(-1)));
    }

    [Fact]
    public void Load_DamagedFile_StartsEmptyAndSaysWhy()
    {
        using var directory = new TemporaryDirectory();
        string file = directory.File("revocations.json");
        File.WriteAllText(file, "{\"alice\": 42");

        AccessRevocations loaded = AccessRevocations.Load(file, _time, out string? problem);

        Assert.Equal(0, loaded.Count);
        Assert.Contains(file, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoFile_IsEmptyWithoutAProblem()
    {
        using var directory = new TemporaryDirectory();

        AccessRevocations loaded = AccessRevocations.Load(directory.File("revocations.json"), _time, out string? problem);

        Assert.Equal(0, loaded.Count);
        Assert.Null(problem);
    }
}
