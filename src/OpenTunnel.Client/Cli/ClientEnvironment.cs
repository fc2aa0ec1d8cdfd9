using OpenTunnel.Client.Connect;
using OpenTunnel.Client.Devices;
using OpenTunnel.Client.Oidc;
using OpenTunnel.Client.Posture;
using OpenTunnel.Client.Profiles;
using OpenTunnel.Client.State;

namespace OpenTunnel.Client.Cli;

/// <summary>What the verbs work with: the state directory, the terminal, HTTP, the posture sources, the clock and openconnect.</summary>
public sealed record ClientEnvironment(
    ClientStateDirectory State, TextWriter Out, TextWriter Error, HttpClient Http, PostureSources PostureSources, TimeProvider Time, string OpenConnect = "openconnect")
{
    /// <summary>A request to the provider or the management service that takes longer than this fails with a message naming the URL.</summary>
    public static readonly TimeSpan HttpTimeout = TimeSpan.FromSeconds(30);

    public ProviderClient Provider => new(Http);

    public SignInRefresher Refresher => new(Provider, State);

    public EnrolmentClient Enrolment => new(Provider);

    public PostureCollector Posture => new(PostureSources);

    public OpenConnectRunner Runner => new(OpenConnect);

    public ProfileSync Profiles => new(Refresher, new ProfileClient(Provider), State, Time);

    /// <summary>This process's: the state directory of <see cref="ClientStateDirectory.Locate"/>, the console, the machine's posture.</summary>
    public static ClientEnvironment FromProcess() => new(
        new ClientStateDirectory(ClientStateDirectory.Locate(
            Environment.GetEnvironmentVariable(ClientStateDirectory.HomeVariable),
            Environment.IsPrivilegedProcess,
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile))),
        Console.Out,
        Console.Error,
        new HttpClient { Timeout = HttpTimeout },
        new PostureSources(),
        TimeProvider.System);
}
