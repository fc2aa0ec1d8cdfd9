using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenTunnel.Trust;

namespace OpenTunnel.Management.Cli;

/// <summary>
/// The administrator CLI over the REST API, in the service's own executable:
/// "opentunnel-management RESOURCE VERB ...". It signs in with an API key and prints tables,
/// name: value lines, or JSON with --json.
/// </summary>
public static class AdminCli
{
    public const string UrlVariable = "OPENTUNNEL_MANAGEMENT_URL";
    public const string KeyVariable = "OPENTUNNEL_API_KEY";
    public const string KeyFileVariable = "OPENTUNNEL_API_KEY_FILE";
    public const string CaFileVariable = "OPENTUNNEL_CA_FILE";
    public const string DefaultUrl = "https://127.0.0.1:9443";
    public const string DefaultKeyFile = "/var/lib/opentunnel/management/admin-api-key";
    public const string DefaultCaFile = "/var/lib/opentunnel/management/agent-ca.pem";

    private static readonly string[] Resources =
    [
        "configurations", "sites", "servers", "profiles", "devices", "compliance-policies",
        "conditional-access-policies", "users", "groups", "api-keys", "audit",
    ];

    /// <summary>The CLI's own options; any other --option of "list" is a filter.</summary>
    private static readonly HashSet<string> OwnOptions = new(StringComparer.Ordinal)
    {
        "--url", "--api-key", "--json", "--help", "--page", "--page-size", "--set", "--file", "--site", "--valid-hours",
    };

    private const string Usage = """
        Usage: opentunnel-management RESOURCE VERB [ARGUMENTS] [--url URL] [--api-key KEY] [--json]

        Resources: configurations, sites, servers, profiles, devices, compliance-policies,
                   conditional-access-policies, users, groups, api-keys, audit
        Verbs:
          list [--page N] [--page-size N] [--FILTER VALUE]...   e.g. servers list --site-id ID
          get ID
          create [--file BODY.json] [--set NAME=VALUE]...        e.g. groups create --set name=staff
          update ID [--file BODY.json] [--set NAME=VALUE]...     reads the object, changes it, writes with If-Match
          delete ID
          servers enrol-token --site ID [--valid-hours N]        a one-time enrolment token, shown once
        opentunnel-management import-ocserv FILE [--site NAME] [--name NAME] [--dry-run]
          turns an ocserv.conf into a server configuration (warning for each setting left out)
          and points the site NAME at it; --dry-run prints it as JSON instead
        --set values are JSON when they read as JSON (443, true, ["a"]), else text;
        NAME[]=a,b makes a list; a.b=value sets a field of an object.
        Service: --url, or OPENTUNNEL_MANAGEMENT_URL (default https://127.0.0.1:9443); over https
             the deployment's CA in OPENTUNNEL_CA_FILE (default /var/lib/opentunnel/management/agent-ca.pem)
             is trusted when that file exists, else the system's trust store.
        Key: --api-key, or OPENTUNNEL_API_KEY, or the file in OPENTUNNEL_API_KEY_FILE
             (default /var/lib/opentunnel/management/admin-api-key).
        """;

    /// <summary>Whether the arguments are a CLI command rather than service settings.</summary>
    public static bool Handles(string[] args) =>
        args is { Length: > 0 } && (Resources.Contains(args[0]) || args[0] is "import-ocserv" or "help" or "--help" or "-h");

    public static async Task<int> RunAsync(
        string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken, HttpMessageHandler? handler = null, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        environment ??= Environment.GetEnvironmentVariable;
        try
        {
            CliArguments cli = CliArguments.Parse(args);
            if (cli.Positional is ["import-ocserv", string file])
            {
                using HttpClient? importClient = cli.Option("--dry-run") is null ? CreateClient(cli, handler, environment) : null;
                return await OcservImportCommand.RunAsync(file, cli.Option("--site"), cli.Option("--name"), importClient, output, error, cancellationToken);
            }

            if (cli.Positional.Count < 2 || !Resources.Contains(cli.Positional[0]))
            {
                output.WriteLine(Usage);
                return args.Length > 0 && args[0] is "help" or "--help" or "-h" ? 0 : 64;
            }

            using HttpClient client = CreateClient(cli, handler, environment);
            return await new Session(client, cli, output, error).RunAsync(cancellationToken);
        }
        catch (CliUsageException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            await error.WriteLineAsync("Run 'opentunnel-management help' for the verbs.");
            return 64;
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"error: cannot reach the management service: {ex.Message}");
            return 69;
        }
    }

    private static HttpClient CreateClient(CliArguments cli, HttpMessageHandler? handler, Func<string, string?> environment)
    {
        string url = cli.Option("--url") ?? environment(UrlVariable) ?? DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? baseAddress))
        {
            throw new CliUsageException($"'{url}' is not an absolute URL of the management service.");
        }

        string? key = cli.Option("--api-key") ?? environment(KeyVariable);
        string keyFile = environment(KeyFileVariable) ?? DefaultKeyFile;
        if (key is null && File.Exists(keyFile))
        {
            key = File.ReadAllText(keyFile).Trim();
        }

        if (string.IsNullOrEmpty(key))
        {
            throw new CliUsageException($"No API key: pass --api-key, set {KeyVariable}, or make {keyFile} readable.");
        }

        string caFile = environment(CaFileVariable) ?? DefaultCaFile;
        HttpClient client;
        if (handler is not null)
        {
            client = new HttpClient(handler, disposeHandler: false);
        }
        else if (baseAddress.Scheme == Uri.UriSchemeHttps && File.Exists(caFile))
        {
            try
            {
                client = new HttpClient(DeploymentTrust.FromCaFile(caFile, CaFileVariable).CreateHandler());
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException(e.Message);
            }
        }
        else
        {
            client = new HttpClient();
        }

        client.BaseAddress = baseAddress;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", key);
        return client;
    }

    private sealed class Session(HttpClient client, CliArguments cli, TextWriter output, TextWriter error)
    {
        private readonly string _resource = cli.Positional[0];
        private readonly string _verb = cli.Positional[1];

        private string Collection => $"api/v1/{_resource}";

        public async Task<int> RunAsync(CancellationToken ct) => (_resource, _verb) switch
        {
            (_, "list") => await ListAsync(ct),
            (_, "get") => await ShowAsync(HttpMethod.Get, $"{Collection}/{Id()}", null, null, ct),
            ("audit", _) => throw new CliUsageException("The audit log is read-only: list or get."),
            ("servers", "enrol-token") => await EnrolmentTokenAsync(ct),
            ("servers", "create") => throw new CliUsageException("Servers join by enrolment: create a token with 'servers enrol-token --site ID'."),
            (_, "create") => await ShowAsync(HttpMethod.Post, Collection, Body(new JsonObject()), null, ct),
            (_, "update") => await UpdateAsync(ct),
            (_, "delete") => await DeleteAsync(ct),
            _ => throw new CliUsageException($"'{_verb}' is not a verb of {_resource}."),
        };

        private async Task<int> ListAsync(CancellationToken ct)
        {
            var query = new List<string>();
            foreach ((string name, string? value) in new[] { ("page", cli.Option("--page")), ("pageSize", cli.Option("--page-size")) })
            {
                if (value is not null)
                {
                    query.Add($"{name}={Uri.EscapeDataString(value)}");
                }
            }

            foreach ((string name, string value) in cli.Filters(OwnOptions))
            {
                query.Add($"{name}={Uri.EscapeDataString(value)}");
            }

            string url = query.Count == 0 ? Collection : $"{Collection}?{string.Join('&', query)}";
            (int status, JsonElement json, string body, _) = await SendAsync(HttpMethod.Get, url, null, null, ct);
            return Print(status, json, body, page => CliOutput.WriteTable(output, _resource, page));
        }

        private async Task<int> UpdateAsync(CancellationToken ct)
        {
            string url = $"{Collection}/{Id()}";
            (int status, JsonElement current, string body, string? etag) = await SendAsync(HttpMethod.Get, url, null, null, ct);
            if (status >= 400)
            {
                CliOutput.WriteProblem(error, status, current, body);
                return 1;
            }

            // The stored object is the starting point: the API takes its writable fields back and ignores the rest.
            return await ShowAsync(HttpMethod.Put, url, Body(JsonNode.Parse(current.GetRawText())!.AsObject()), etag, ct);
        }

        private async Task<int> DeleteAsync(CancellationToken ct)
        {
            string url = $"{Collection}/{Id()}";
            (int status, JsonElement current, string body, string? etag) = await SendAsync(HttpMethod.Get, url, null, null, ct);
            if (status < 400)
            {
                (status, current, body, _) = await SendAsync(HttpMethod.Delete, url, null, etag, ct);
            }

            if (status >= 400)
            {
                CliOutput.WriteProblem(error, status, current, body);
                return 1;
            }

            output.WriteLine($"Deleted {_resource} {Id()}.");
            return 0;
        }

        private Task<int> EnrolmentTokenAsync(CancellationToken ct)
        {
            string site = cli.Option("--site") ?? throw new CliUsageException("servers enrol-token needs --site ID.");
            var body = new JsonObject();
            if (cli.Option("--valid-hours") is { } hours)
            {
                body["validForHours"] = int.TryParse(hours, out int h) ? h : throw new CliUsageException($"--valid-hours '{hours}' is not a number.");
            }

            return ShowAsync(HttpMethod.Post, $"api/v1/sites/{Uri.EscapeDataString(site)}/enrolment-tokens", body, null, ct);
        }

        private async Task<int> ShowAsync(HttpMethod method, string url, JsonObject? body, string? ifMatch, CancellationToken ct)
        {
            (int status, JsonElement json, string text, _) = await SendAsync(method, url, body, ifMatch, ct);
            return Print(status, json, text, item => CliOutput.WriteDetails(output, item));
        }

        /// <summary>A problem to standard error (exit 1), else the answer as JSON or for people (exit 0).</summary>
        private int Print(int status, JsonElement json, string text, Action<JsonElement> forPeople)
        {
            if (status >= 400)
            {
                CliOutput.WriteProblem(error, status, json, text);
                return 1;
            }

            if (cli.Json)
            {
                CliOutput.WriteJson(output, json);
            }
            else
            {
                forPeople(json);
            }

            return 0;
        }

        private JsonObject Body(JsonObject start)
        {
            JsonObject body = start;
            if (cli.Option("--file") is { } file)
            {
                body = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new CliUsageException($"{file} does not hold a JSON object.");
            }

            foreach (string assignment in cli.All("--set"))
            {
                CliArguments.ApplySet(body, assignment);
            }

            return body;
        }

        private string Id() => cli.Positional.Count >= 3 ? cli.Positional[2] : throw new CliUsageException($"{_resource} {_verb} needs an id.");

        private async Task<(int Status, JsonElement Json, string Body, string? ETag)> SendAsync(
            HttpMethod method, string url, JsonObject? body, string? ifMatch, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(method, url);
            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            }

            if (ifMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }

            using HttpResponseMessage response = await client.SendAsync(request, ct);
            string text = await response.Content.ReadAsStringAsync(ct);
            JsonElement json = default;
            if (text.Length > 0 && text[0] is '{' or '[')
            {
                using JsonDocument document = JsonDocument.Parse(text);
                json = document.RootElement.Clone();
            }

            return ((int)response.StatusCode, json, text, response.Headers.ETag?.ToString());
        }
    }
}
