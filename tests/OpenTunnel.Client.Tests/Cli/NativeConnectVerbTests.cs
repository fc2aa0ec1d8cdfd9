using OpenTunnel.Client.Cli;
using OpenTunnel.Client.Posture;
using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.Cli;

[Trait("Category", "Unit")]
public sealed class NativeConnectVerbTests
{
    [Theory]
    [InlineData(new[] { "--engine", "native", "--script", "/bin/true" }, "--script is a vpnc-script for openconnect")]
    [InlineData(new[] { "--engine", "native", "--", "--no-dtls" }, "the native engine takes none ('--no-dtls')")]
    [InlineData(new[] { "--engine", "native", "--servercert", "sha1:ab" }, "--servercert 'sha1:ab' is not pin-sha256:")]
    [InlineData(new[] { "--engine", "wireguard" }, "--engine 'wireguard' is neither 'native' nor 'openconnect'.")]
    [InlineData(new[] { "--script", "/bin/true" }, "--script is a vpnc-script for openconnect; the native engine sets routes and DNS itself (leave --script out, or use --engine openconnect)")]
    [InlineData(new[] { "--", "--interface", "tun7" }, "the native engine takes none ('--interface tun7'): add --engine openconnect, or leave them out.")]
    public async Task Connect_OptionsTheEngineCannotUse_AreRefusedByName_TheDefaultEngineIsNative(string[] options, string expected)
    {
        using var home = new TemporaryDirectory();
        string tokenFile = home.File("token");
        File.WriteAllText(tokenFile, "token");
        using var http = new HttpClient();
        using var error = new StringWriter();
        var environment = new ClientEnvironment(new ClientStateDirectory(home.Path), TextWriter.Null, error, http, new PostureSources(), TimeProvider.System);

        int code = await ClientCommandLine.RunAsync(["connect", "--gateway", "https://198.18.1.1:4443", "--token-file", tokenFile, .. options], environment);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--engine", "native", "--user", "alice" }, "--user needs --password-file FILE")]
    [InlineData(new[] { "--engine", "native", "--password-file", "PASSWORD" }, "--password-file goes with --user.")]
    [InlineData(new[] { "--engine", "native", "--user", "alice", "--password-file", "EMPTY" }, "holds no password on its first line.")]
    [InlineData(new[] { "--engine", "native", "--user", "alice", "--password-file", "MISSING" }, "cannot be read:")]
    [InlineData(new[] { "--engine", "native", "--user", "alice", "--password-file", "PASSWORD", "--site", "paris" }, "it takes neither --token-file nor --site")]
    [InlineData(new[] { "--user", "alice", "--password-file", "PASSWORD", "--site", "paris" }, "it takes neither --token-file nor --site")]
    [InlineData(new[] { "--engine", "openconnect", "--user", "alice", "--password-file", "PASSWORD" }, "--user and --password-file are for --engine native")]
    public async Task Connect_PasswordSignInOptions_WrongTogetherOrUnreadable_AreRefusedByName(string[] options, string expected)
    {
        using var home = new TemporaryDirectory();
        File.WriteAllText(home.File("PASSWORD"), "secret\n");
        File.WriteAllText(home.File("EMPTY"), "\n");
        using var http = new HttpClient();
        using var error = new StringWriter();
        var environment = new ClientEnvironment(new ClientStateDirectory(home.Path), TextWriter.Null, error, http, new PostureSources(), TimeProvider.System);
        string[] arguments = [.. options.Select(o => o is "PASSWORD" or "EMPTY" or "MISSING" ? home.File(o) : o)];

        int code = await ClientCommandLine.RunAsync(["connect", "--gateway", "https://198.18.1.1:4443", .. arguments], environment);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "connect", "office", "--script", "/bin/true" }, "--script is a vpnc-script for openconnect")]
    [InlineData(new[] { "connect", "office", "--", "--interface", "tun7" }, "the native engine takes none ('--interface tun7'): add --engine openconnect")]
    [InlineData(new[] { "connect", "office", "--user", "alice" }, "a PROFILE signs in with a gateway token for its site")]
    [InlineData(new[] { "always-on", "enable", "--profile", "office", "--script", "/bin/true" }, "--script is a vpnc-script for openconnect")]
    [InlineData(new[] { "always-on", "enable", "--profile", "office", "--", "--no-dtls" }, "the native engine takes none ('--no-dtls')")]
    [InlineData(new[] { "always-on", "enable", "--profile", "office", "--engine", "wireguard" }, "--engine 'wireguard' is neither 'native' nor 'openconnect'.")]
    [InlineData(new[] { "always-on", "enable", "--profile", "office", "--servercert", "sha1:ab" }, "--servercert 'sha1:ab' is not pin-sha256:")]
    public async Task ProfileWithTheNativeEngine_OpenConnectOptions_AreRefusedByName_BeforeAnythingIsFetched(string[] arguments, string expected)
    {
        using var home = new TemporaryDirectory();
        using var http = new HttpClient();
        using var error = new StringWriter();
        var environment = new ClientEnvironment(new ClientStateDirectory(home.Path), TextWriter.Null, error, http, new PostureSources(), TimeProvider.System);

        int code = await ClientCommandLine.RunAsync(arguments, environment);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home.Path, "always-on.json")));
    }
}
