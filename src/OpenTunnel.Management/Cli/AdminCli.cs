using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenTunnel.CommandLine;
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

    internal const string Description = """
        The OpenTunnel management service and its administrator CLI.
        'serve' runs the service; the other verbs talk to a running one over its REST API with an API key.

        Service: --url, or OPENTUNNEL_MANAGEMENT_URL (default https://127.0.0.1:9443); over https
             the deployment's CA in OPENTUNNEL_CA_FILE (default /var/lib/opentunnel/management/agent-ca.pem)
             is trusted when that file exists, else the system's trust store.
        Key: --api-key, or OPENTUNNEL_API_KEY, or the file in OPENTUNNEL_API_KEY_FILE
             (default /var/lib/opentunnel/management/admin-api-key).
        Exit codes (docs/cli.md): 0 done, 1 refused by the service, 64 bad command line,
             65 bad input file, 69 service unreachable, 77 API key refused.
        """;

    /// <summary>
    /// Runs the command line: <c>serve</c> calls <paramref name="serve"/> with the host settings
    /// that follow it; the resource verbs call the API. An unknown verb is a usage error and
    /// starts nothing.
    /// </summary>
    public static Task<int> RunAsync(
        string[] args,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken,
        HttpMessageHandler? handler = null,
        Func<string, string?>? environment = null,
        Func<string[], CancellationToken, Task<int>>? serve = null,
        TextReader? input = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var context = new CliContext(input ?? Console.In, output, error, handler, environment ?? Environment.GetEnvironmentVariable);
        return CommandLineRunner.InvokeAsync(AdminCommands.Build(context, serve), args, output, error, cancellationToken);
    }

    /// <summary>Runs one API verb: usage and connection problems become their exit codes.</summary>
    internal static Task<int> CallAsync(CliContext context, CliRequest request, CancellationToken cancellationToken) =>
        GuardAsync(context, request, async () =>
        {
            using HttpClient client = CreateClient(request, context.Handler, context.Environment);
            return await new Session(client, request, context.Input, context.Output, context.Error).RunAsync(cancellationToken);
        });

    /// <summary>Runs <c>import-ocserv</c>: with <paramref name="dryRun"/> nothing reaches the service (no client, no key).</summary>
    internal static Task<int> ImportOcservAsync(CliContext context, CliRequest request, FileInfo file, string? name, bool dryRun, CancellationToken cancellationToken) =>
        GuardAsync(context, request, async () =>
        {
            using HttpClient? client = dryRun ? null : CreateClient(request, context.Handler, context.Environment);
            return await OcservImportCommand.RunAsync(file.FullName, request.Site, name, client, context.Output, context.Error, cancellationToken);
        });

    private static async Task<int> GuardAsync(CliContext context, CliRequest request, Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (CliUsageException ex)
        {
            await context.Error.WriteLineAsync($"error: {ex.Message}");
            await context.Error.WriteLineAsync($"Run 'opentunnel-management {$"{request.Resource} {request.Verb}".TrimEnd()} --help' for its usage.");
            return ExitCodes.Usage;
        }
        catch (CliDataException ex)
        {
            await context.Error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.DataError;
        }
        catch (HttpRequestException ex)
        {
            await context.Error.WriteLineAsync($"error: cannot reach the management service: {ex.Message}");
            return ExitCodes.Unavailable;
        }
    }

    private static HttpClient CreateClient(CliRequest cli, HttpMessageHandler? handler, Func<string, string?> environment)
    {
        string url = cli.Url ?? environment(UrlVariable) ?? DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? baseAddress))
        {
            throw new CliUsageException($"'{url}' is not an absolute URL of the management service.");
        }

        string? key = cli.ApiKey ?? environment(KeyVariable);
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

    private sealed class Session(HttpClient client, CliRequest cli, TextReader input, TextWriter output, TextWriter error)
    {
        private readonly string _resource = cli.Resource;
        private readonly string _verb = cli.Verb;

        private string Collection => $"api/v1/{_resource}";

        public async Task<int> RunAsync(CancellationToken ct) => (cli.Action, _verb) switch
        {
            ({ } action, _) => await ActAsync(action, ct),
            (_, "list") => await ListAsync(ct),
            (_, "get") => await ShowAsync(HttpMethod.Get, $"{Collection}/{Id()}", null, null, ct),
            (_, "create") => await ShowAsync(HttpMethod.Post, Collection, Body(new JsonObject()), null, ct),
            (_, "update") => await UpdateAsync($"{Collection}/{Id()}", ct),
            (_, "delete") => await DeleteAsync(ct),
            _ => throw new CliUsageException($"'{_verb}' is not a verb of {_resource}."),
        };

        /// <summary>One action: its values go into the path, the query and the body; the answer is printed as the action says.</summary>
        private async Task<int> ActAsync(ApiAction action, CancellationToken ct)
        {
            string path = action.Path;
            var query = new List<string>();
            JsonObject? body = action.Method == HttpMethod.Post || action.Method == HttpMethod.Put ? new JsonObject() : null;
            foreach (string argument in action.Arguments)
            {
                path = path.Replace($"{{{argument}}}", Uri.EscapeDataString(cli.Values[argument]), StringComparison.Ordinal);
            }

            foreach (ActionOption option in action.Options)
            {
                if (!cli.Values.TryGetValue(option.Field, out string? value))
                {
                    continue;
                }

                switch (option.Target)
                {
                    case ActionTarget.Path:
                        path = path.Replace($"{{{option.Field}}}", Uri.EscapeDataString(value), StringComparison.Ordinal);
                        break;
                    case ActionTarget.Query:
                        query.Add($"{option.Field}={Uri.EscapeDataString(value)}");
                        break;
                    default:
                        body![option.Field] = option.Number ? JsonValue.Create(int.Parse(value, CultureInfo.InvariantCulture))
                            : option.SecretFile ? ReadSecret(option, value)
                            : JsonValue.Create(value);
                        break;
                }
            }

            foreach ((string field, string value) in action.Fixed)
            {
                body![field] = value;
            }

            string url = $"api/v1/{path}{(query.Count == 0 ? string.Empty : "?" + string.Join('&', query))}";
            if (action.Edit)
            {
                return await UpdateAsync(url, ct);
            }

            (int status, JsonElement json, string text, _) = await SendAsync(action.Method, url, body, null, ct);
            return Print(status, json, text, answer =>
            {
                switch (action.Output)
                {
                    case ActionOutput.Table:
                        CliOutput.WriteTable(output, action.Table!, answer);
                        break;
                    case ActionOutput.EnrolmentToken:
                        CliOutput.WriteEnrolmentToken(output, answer);
                        break;
                    case ActionOutput.Done:
                        output.WriteLine(action.Arguments.Aggregate(action.Done!, (done, argument) => done.Replace($"{{{argument}}}", cli.Values[argument], StringComparison.Ordinal)));
                        break;
                    default:
                        CliOutput.WriteDetails(output, answer);
                        break;
                }
            });
        }

        /// <summary>The first line of the file (or of standard input for '-') an option names.</summary>
        private JsonValue ReadSecret(ActionOption option, string file)
        {
            try
            {
                string? line = file == "-" ? input.ReadLine() : File.ReadLines(file).FirstOrDefault();
                return JsonValue.Create(line ?? throw new CliDataException($"{option.Name} {file} is empty."));
            }
            catch (IOException e)
            {
                throw new CliDataException($"cannot read {option.Name} {file}: {e.Message}");
            }
            catch (UnauthorizedAccessException e)
            {
                throw new CliDataException($"cannot read {option.Name} {file}: {e.Message}");
            }
        }

        private async Task<int> ListAsync(CancellationToken ct)
        {
            var query = new List<string>();
            foreach ((string name, int? value) in new[] { ("page", cli.Page), ("pageSize", cli.PageSize) })
            {
                if (value is { } number)
                {
                    query.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={number}"));
                }
            }

            foreach ((string name, string value) in cli.Filters)
            {
                query.Add($"{name}={Uri.EscapeDataString(value)}");
            }

            string url = query.Count == 0 ? Collection : $"{Collection}?{string.Join('&', query)}";
            (int status, JsonElement json, string body, _) = await SendAsync(HttpMethod.Get, url, null, null, ct);
            return Print(status, json, body, page => CliOutput.WriteTable(output, _resource, page));
        }

        private async Task<int> UpdateAsync(string url, CancellationToken ct)
        {
            (int status, JsonElement current, string body, string? etag) = await SendAsync(HttpMethod.Get, url, null, null, ct);
            if (status >= 400)
            {
                CliOutput.WriteProblem(error, status, current, body);
                return Refused(status);
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
                return Refused(status);
            }

            output.WriteLine($"Deleted {_resource} {Id()}.");
            return 0;
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
                return Refused(status);
            }

            if (cli.Json)
            {
                // An answer without a body (204) prints nothing for scripts: the exit code says it was done.
                if (json.ValueKind != JsonValueKind.Undefined)
                {
                    CliOutput.WriteJson(output, json);
                }
            }
            else
            {
                forPeople(json);
            }

            return 0;
        }

        /// <summary>The exit code of a refused request: the key's own refusal, or the request's.</summary>
        private static int Refused(int status) => status is 401 or 403 ? ExitCodes.NoPermission : ExitCodes.Failure;

        private JsonObject Body(JsonObject start)
        {
            JsonObject body = start;
            if (cli.File is { } file)
            {
                body = ReadObject(file);
            }

            foreach (string assignment in cli.Sets)
            {
                CliArguments.ApplySet(body, assignment);
            }

            return body;
        }

        private string Id() => cli.Id ?? throw new CliUsageException($"{_resource} {_verb} needs an id.");

        private static JsonObject ReadObject(FileInfo file)
        {
            try
            {
                return JsonNode.Parse(File.ReadAllText(file.FullName)) as JsonObject ?? throw new CliDataException($"{file} does not hold a JSON object.");
            }
            catch (JsonException e)
            {
                throw new CliDataException($"{file} is not JSON: {e.Message}");
            }
            catch (IOException e)
            {
                throw new CliDataException($"cannot read {file}: {e.Message}");
            }
        }

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
