using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenTunnel.Client.Cli;
using OpenTunnel.Client.Posture;
using OpenTunnel.Client.State;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.Harness;

/// <summary>
/// The management service with its identity provider on 127.0.0.1 (<see cref="IdentityFixture"/>:
/// one site, a group a conditional-access policy lets in with a compliant device), with the
/// compliance policy "baseline" requiring a firewall only: the client reads disk encryption from
/// this machine's real root file system, which the tests cannot change.
/// </summary>
public class ClientFixture : IdentityFixture, IAsyncLifetime
{
    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        ApiResponse policies = await Admin.ReadAsync("/api/v1/compliance-policies");
        string id = policies.Json.GetProperty("items").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "baseline").GetProperty("id").GetString()!;
        ApiResponse current = await Admin.ReadAsync($"/api/v1/compliance-policies/{id}");
        ApiResponse changed = await Admin.SendAsync(HttpMethod.Put, $"/api/v1/compliance-policies/{id}", new { name = "baseline", requireDiskEncryption = false, requireFirewall = true }, current.ETag);
        Assert.True(changed.Status == HttpStatusCode.OK, changed.Body);
    }
}

/// <summary>
/// One client's state directory, output and posture sources, and its verbs run in this process
/// through <see cref="ClientCommandLine"/>, as the executable runs them.
/// </summary>
public sealed partial class ClientUnderTest(ClientFixture fixture, IReadOnlyList<string> nftCommand) : IDisposable
{
    private readonly TemporaryDirectory _home = new();
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();
    private readonly HttpClient _http = new() { Timeout = ClientEnvironment.HttpTimeout };
    private readonly Lock _gate = new();

    public ClientStateDirectory State => new(_home.Path);

    /// <summary>The program <c>connect</c> runs as openconnect.</summary>
    public string OpenConnect { get; set; } = "openconnect";

    public string Server => fixture.App.Address!.ToString();

    /// <summary>What the verbs printed to standard output so far.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _out.ToString();
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_gate)
            {
                return _error.ToString();
            }
        }
    }

    public Task<int> RunAsync(params string[] args) => RunAsync(args, CancellationToken.None);

    /// <summary>Runs a verb; <paramref name="stop"/> stands for SIGINT/SIGTERM, as the executable turns them into cancellation.</summary>
    public Task<int> RunAsync(string[] args, CancellationToken stop) => ClientCommandLine.RunAsync(args, new ClientEnvironment(
        State,
        new LockedWriter(_out, _gate),
        new LockedWriter(_error, _gate),
        _http,
        new PostureSources { NftCommand = nftCommand },
        TimeProvider.System,
        OpenConnect), stop);

    /// <summary>Runs <c>signin</c>, approves the code it prints as <paramref name="userName"/> while it polls, and returns its exit code.</summary>
    public async Task<int> SignInAsync(string userName, params string[] extra)
    {
        int printed = Output.Length;
        Task<int> signIn = RunAsync(["signin", "--server", Server, .. extra]);
        string userCode = await UserCodeAsync(printed, signIn);
        using HttpResponseMessage approved = await fixture.Oidc.ApproveAsync(userCode, userName, IdentityFixture.Password);
        Assert.True(approved.StatusCode == HttpStatusCode.Redirect, $"Approval answered {(int)approved.StatusCode}");
        return await signIn.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public JsonElement SignInFile() => JsonDocument.Parse(File.ReadAllText(State.SignInFile)).RootElement.Clone();

    public void Dispose()
    {
        _http.Dispose();
        _home.Dispose();
    }

    private async Task<string> UserCodeAsync(int from, Task<int> signIn)
    {
        for (int i = 0; i < 200; i++)
        {
            Match match = UserCode().Match(Output[from..]);
            if (match.Success)
            {
                return match.Groups[1].Value;
            }

            Assert.False(signIn.IsCompleted, $"signin ended before it printed a code.\n{Output}\n{Errors}");
            await Task.Delay(50);
        }

        throw new TimeoutException($"signin printed no user code in 10 s.\n{Output}\n{Errors}");
    }

    [GeneratedRegex("enter the code (\\S+)")]
    private static partial Regex UserCode();

    /// <summary>Writes under the lock the reader takes, so a test reads whole lines while a verb writes.</summary>
    private sealed class LockedWriter(StringWriter inner, Lock gate) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            lock (gate)
            {
                inner.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (gate)
            {
                inner.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (gate)
            {
                inner.WriteLine(value);
            }
        }
    }
}
