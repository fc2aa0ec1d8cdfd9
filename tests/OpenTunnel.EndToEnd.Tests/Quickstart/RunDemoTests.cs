using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Quickstart;

/// <summary>
/// <c>./run.sh --demo</c> itself, as a newcomer runs it, but inside the gateway namespace of a
/// throw-away topology, which stands for "this machine": what run.sh does to its machine (the
/// gateway's nftables table and IP forwarding, the demo's veth ends and their routes) stays in
/// that namespace, and its ports cannot meet another run's. Its data directories are the test's
/// (run.sh's environment variables), never /var/lib/opentunnel. The topology's own client and
/// corp namespaces are not used: the demo makes its own.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class RunDemoTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RunShDemo_ReachesTheInternalHost_AndLeavesNoNamespaceVethOrProcess()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "openconnect", "ping", "curl");
        using NetworkTopology topology = NetworkTopology.Create();
        using var data = new TemporaryDirectory();
        string machine = topology.Gateway;
        string demoPrefix = topology.Prefix + "d";
        var environment = new Dictionary<string, string>
        {
            ["OPENTUNNEL_MANAGEMENT_DATA"] = data.Subdirectory("management"),
            ["GATEWAY_DATA"] = data.Subdirectory("gateway"),
            ["AGENT_DATA"] = data.Subdirectory("agent"),
            ["OPENTUNNEL_DEMO_PREFIX"] = demoPrefix,

            // The test run built the solution; a build now could rewrite binaries other tests are running.
            ["OPENTUNNEL_SKIP_BUILD"] = "1",
        };

        var clock = Stopwatch.StartNew();
        // SIGINT at its default disposition, as in a terminal: a test run started in the background
        // passes it on ignored, and run.sh's Ctrl-C trap below would never run.
        using TrackedProcess run = topology.Start(machine, "env", ["--default-signal=INT", "bash", Path.Combine(Checkout.Root(), "run.sh"), "--demo"], environment: environment);
        try
        {
            await run.WaitForOutputAsync("the stack keeps running (Ctrl-C stops it)", TimeSpan.FromSeconds(110));
        }
        finally
        {
            output.WriteLine($"after {clock.Elapsed.TotalSeconds:0} s:\n{run.Output}");
        }

        Assert.Contains("Reached the internal host 198.18.101.2 through the gateway as user demo.", run.Output, StringComparison.Ordinal);
        Assert.Empty(NetworkTopology.ListNamespaces(demoPrefix));
        string links = topology.Exec(machine, "ip", "-o", "link", "show").EnsureSuccess().StandardOutput;
        Assert.DoesNotContain(demoPrefix, links, StringComparison.Ordinal);
        string[] managementFiles = Directory.GetFiles(environment["OPENTUNNEL_MANAGEMENT_DATA"]);
        Assert.Contains(managementFiles, file => Path.GetFileName(file) == "admin-password");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(environment["OPENTUNNEL_MANAGEMENT_DATA"], "admin-password")));
        string console = ConsoleUrl().Match(run.Output).Groups[1].Value;
        SignInToTheConsoleAsAdmin(topology, machine, console, environment["OPENTUNNEL_MANAGEMENT_DATA"], data);

        // Ctrl-C: run.sh stops the gateway, the agent and the management service by their PIDs.
        run.Signal(2);
        int exitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(120));
        output.WriteLine($"run.sh exited with {exitCode} after {clock.Elapsed.TotalSeconds:0} s");
        Assert.Empty(NetworkTopology.ProcessIds(machine));
        Assert.Empty(NetworkTopology.ListNamespaces(demoPrefix));
        Assert.DoesNotContain("table", topology.Exec(machine, "nft", "list", "tables").EnsureSuccess().StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>
    /// What the administrator does first: opens the printed console address, is sent to the
    /// provider's sign-in form, signs in as admin with the password from admin-password, and lands
    /// on the console's overview (a person in no administrator group would get 403 instead). curl
    /// runs in the machine's namespace, where the service listens; the form is read here.
    /// </summary>
    private void SignInToTheConsoleAsAdmin(NetworkTopology topology, string machine, string console, string managementData, TemporaryDirectory data)
    {
        Assert.StartsWith("https://", console, StringComparison.Ordinal);
        string jar = data.File("console-cookies");
        string page = data.File("console-page.html");
        string[] browser = ["-sS", "--cacert", Path.Combine(managementData, "agent-ca.pem"), "-b", jar, "-c", jar, "-L", "-o", page, "-w", "%{http_code} %{url_effective}"];
        string opened = topology.Exec(machine, "curl", [.. browser, console], Command.DefaultTimeout).EnsureSuccess().StandardOutput;
        string form = File.ReadAllText(page);
        Match action = FormAction().Match(form);
        Assert.True(action.Success, $"{console} led to {opened}, which has no sign-in form:\n{form}");
        var fields = new List<string>();
        foreach (Match hidden in HiddenInput().Matches(form))
        {
            fields.AddRange(["--data-urlencode", $"{WebUtility.HtmlDecode(hidden.Groups[1].Value)}={WebUtility.HtmlDecode(hidden.Groups[2].Value)}"]);
        }

        Uri target = new(new Uri(opened.Split(' ')[1]), WebUtility.HtmlDecode(action.Groups[1].Value));
        string password = File.ReadAllText(Path.Combine(managementData, "admin-password")).Trim();
        string signedIn = topology.Exec(machine, "curl", [.. browser, .. fields, "--data-urlencode", "username=admin", "--data-urlencode", "password@-", target.ToString()],
            Command.DefaultTimeout, password).EnsureSuccess().StandardOutput;
        string overview = File.ReadAllText(page);
        output.WriteLine($"console sign-in as admin: {signedIn}");
        Assert.True(signedIn.StartsWith("200 ", StringComparison.Ordinal) && overview.Contains("<h1>Overview</h1>", StringComparison.Ordinal),
            $"Signing in to the console as admin ended at {signedIn}:\n{overview}");
    }

    [GeneratedRegex(@"Console: (https://\S+)")]
    private static partial Regex ConsoleUrl();

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]*)\">")]
    private static partial Regex FormAction();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();
}
