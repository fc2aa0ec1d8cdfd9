using System.CommandLine;

namespace OpenTunnel.Management.Cli;

/// <summary>
/// The command tree of <c>opentunnel-management</c>: <c>serve</c>, and RESOURCE VERB for each
/// resource of the REST API and each of its actions (<see cref="ApiActions"/>). Every verb has
/// its own help with examples.
/// </summary>
internal static class AdminCommands
{
    /// <summary>The API's resources and the verbs each one has (the audit log is read-only; servers join by enrolment).</summary>
    private static readonly (string Resource, string Example, string[] Verbs)[] Resources =
    [
        ("configurations", "name=office", ["list", "get", "create", "update", "delete"]),
        ("sites", "name=paris", ["list", "get", "create", "update", "delete"]),
        ("servers", "name=gw1", ["list", "get", "update", "delete"]),
        ("profiles", "name=laptops", ["list", "get", "create", "update", "delete"]),
        ("devices", "name=pc-42", ["list", "get", "create", "update", "delete"]),
        ("compliance-policies", "name=baseline", ["list", "get", "create", "update", "delete"]),
        ("conditional-access-policies", "name=staff-only", ["list", "get", "create", "update", "delete"]),
        ("users", "name=alice", ["list", "get", "create", "update", "delete"]),
        ("groups", "name=staff", ["list", "get", "create", "update", "delete"]),
        ("api-keys", "name=ci", ["list", "get", "create", "update", "delete"]),
        ("audit", string.Empty, ["list", "get"]),
    ];

    private static readonly Option<string> Url = new("--url") { Description = "The service's URL (default: OPENTUNNEL_MANAGEMENT_URL, else https://127.0.0.1:9443).", Recursive = true };
    private static readonly Option<string> ApiKey = new("--api-key") { Description = "The API key (default: OPENTUNNEL_API_KEY, else the file in OPENTUNNEL_API_KEY_FILE).", Recursive = true };

    public static RootCommand Build(CliContext context, Func<string[], CancellationToken, Task<int>>? serve)
    {
        var root = new RootCommand(AdminCli.Description);
        root.Options.Add(Url);
        root.Options.Add(ApiKey);
        root.Subcommands.Add(Serve(serve));
        root.Subcommands.Add(ImportOcserv(context));
        foreach ((string resource, string example, string[] verbs) in Resources)
        {
            var command = new Command(resource, $"The {resource} of the management API.");
            foreach (string verb in verbs)
            {
                command.Subcommands.Add(Verb(context, resource, verb, example));
            }

            root.Subcommands.Add(command);
        }

        foreach (ApiAction action in ApiActions.All)
        {
            Command? command = root.Subcommands.FirstOrDefault(c => c.Name == action.Resource);
            if (command is null)
            {
                command = new Command(action.Resource, $"The {action.Resource} of the management API.");
                root.Subcommands.Add(command);
            }

            command.Subcommands.Add(Action(context, action));
        }

        return root;
    }

    private static Command Serve(Func<string[], CancellationToken, Task<int>>? serve)
    {
        var command = new Command("serve", """
            Run the management service. The words after 'serve' are host settings, as
            --Section:Key value or --Section:Key=value (environment variables Section__Key do the same).

            Examples:
              opentunnel-management serve
              opentunnel-management serve --urls https://0.0.0.0:9443 --Management:DataDirectory /var/lib/opentunnel-management
            """)
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction((result, cancellationToken) =>
            serve is null
                ? throw new InvalidOperationException("This host does not run the service.")
                : serve([.. result.UnmatchedTokens], cancellationToken));
        return command;
    }

    private static Command ImportOcserv(CliContext context)
    {
        var command = new Command("import-ocserv", """
            Turn an ocserv.conf (and its config-per-group directory) into a server configuration,
            with a warning for each setting that has no equivalent (docs/coming-from-ocserv.md).
            Nothing is created when the import has errors; --site points that site at the new configuration.

            Examples:
              opentunnel-management import-ocserv /etc/ocserv/ocserv.conf --dry-run
              opentunnel-management import-ocserv /etc/ocserv/ocserv.conf --site paris
            """);
        var file = new Argument<FileInfo>("FILE") { Description = "The ocserv configuration file." };
        var site = new Option<string>("--site") { Description = "The name of a site to point at the new configuration." };
        var name = new Option<string>("--name") { Description = "The configuration's name (default: the site's name, else the file's)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the configuration as JSON; create nothing (needs no API key)." };
        command.Arguments.Add(file);
        command.Options.Add(site);
        command.Options.Add(name);
        command.Options.Add(dryRun);
        command.SetAction((result, cancellationToken) =>
        {
            var request = new CliRequest("import-ocserv", string.Empty)
            {
                Url = result.GetValue(Url),
                ApiKey = result.GetValue(ApiKey),
                Site = result.GetValue(site),
            };
            return AdminCli.ImportOcservAsync(context, request, result.GetValue(file)!, result.GetValue(name), result.GetValue(dryRun), cancellationToken);
        });
        return command;
    }

    private static Command Verb(CliContext context, string resource, string verb, string example)
    {
        var json = new Option<bool>("--json") { Description = "Print the API's answer as JSON, for scripts." };
        var id = new Argument<string>("ID") { Description = $"The id of one of the {resource}." };
        var command = verb switch
        {
            "list" => new Command(verb, $"""
                List the {resource}, a page at a time. Other --NAME VALUE options filter (--site-id X is the API's siteId=X).

                Examples:
                  opentunnel-management {resource} list
                  opentunnel-management {resource} list --page-size 200 --json
                """) { TreatUnmatchedTokensAsErrors = false },
            "get" => new Command(verb, $"""
                Show one of the {resource}.

                Example:
                  opentunnel-management {resource} get ID --json
                """),
            "create" => new Command(verb, $"""
                Create one of the {resource} from --file and --set. --set values are JSON when they read
                as JSON (443, true, ["a"]), else text; NAME[]=a,b makes a list; a.b=value sets a field of an object.

                Example:
                  opentunnel-management {resource} create --set {example}
                """),
            "update" => new Command(verb, $"""
                Change one of the {resource}: reads it, applies --file and --set, writes it back with If-Match.

                Example:
                  opentunnel-management {resource} update ID --set {(example.Length == 0 ? "name=new" : example)}
                """),
            _ => new Command(verb, $"""
                Delete one of the {resource} (with If-Match of the version read just before).

                Example:
                  opentunnel-management {resource} delete ID
                """),
        };
        var page = new Option<int?>("--page") { Description = "The page number, from 1." };
        var pageSize = new Option<int?>("--page-size") { Description = "Items per page." };
        var file = new Option<FileInfo>("--file") { Description = "A JSON object to start the body from." };
        var set = new Option<string[]>("--set") { Description = "NAME=VALUE to set in the body (repeatable).", AllowMultipleArgumentsPerToken = false };
        command.Options.Add(json);
        switch (verb)
        {
            case "list":
                command.Options.Add(page);
                command.Options.Add(pageSize);
                break;
            case "create":
                command.Options.Add(file);
                command.Options.Add(set);
                break;
            case "update":
                command.Arguments.Add(id);
                command.Options.Add(file);
                command.Options.Add(set);
                break;
            default:
                command.Arguments.Add(id);
                break;
        }

        command.SetAction((result, cancellationToken) =>
        {
            var request = new CliRequest(resource, verb)
            {
                Id = command.Arguments.Contains(id) ? result.GetValue(id) : null,
                Url = result.GetValue(Url),
                ApiKey = result.GetValue(ApiKey),
                Json = result.GetValue(json),
                Page = result.GetValue(page),
                PageSize = result.GetValue(pageSize),
                Filters = verb == "list" ? CliArguments.Filters(result.UnmatchedTokens) : [],
                File = result.GetValue(file),
                Sets = result.GetValue(set) ?? [],
            };
            return AdminCli.CallAsync(context, request, cancellationToken);
        });
        return command;
    }

    private static Command Action(CliContext context, ApiAction action)
    {
        var command = new Command(action.Verb, $"""
            {action.Help}

            Example:
              opentunnel-management {action.Resource} {action.Example}
            """);
        var json = new Option<bool>("--json") { Description = "Print the API's answer as JSON, for scripts." };
        command.Options.Add(json);
        var arguments = action.Arguments.Select(name => new Argument<string>(name)).ToList();
        arguments.ForEach(command.Arguments.Add);
        var options = new List<(ActionOption Option, Option Parsed)>();
        foreach (ActionOption option in action.Options)
        {
            Option parsed = option.Number
                ? new Option<int?>(option.Name) { Description = option.Description, Required = option.Required }
                : new Option<string>(option.Name) { Description = option.Description, Required = option.Required };
            command.Options.Add(parsed);
            options.Add((option, parsed));
        }

        var file = new Option<FileInfo>("--file") { Description = "A JSON object to start the body from." };
        var set = new Option<string[]>("--set") { Description = "NAME=VALUE to set in the body (repeatable).", AllowMultipleArgumentsPerToken = false };
        if (action.Edit)
        {
            command.Options.Add(file);
            command.Options.Add(set);
        }

        command.SetAction((result, cancellationToken) =>
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Argument<string> argument in arguments)
            {
                values[argument.Name] = result.GetValue(argument)!;
            }

            foreach ((ActionOption option, Option parsed) in options)
            {
                object? value = parsed is Option<int?> number ? result.GetValue(number) : result.GetValue((Option<string>)parsed);
                if (value is not null)
                {
                    values[option.Field] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!;
                }
            }

            var request = new CliRequest(action.Resource, action.Verb)
            {
                Url = result.GetValue(Url),
                ApiKey = result.GetValue(ApiKey),
                Json = result.GetValue(json),
                File = action.Edit ? result.GetValue(file) : null,
                Sets = action.Edit ? result.GetValue(set) ?? [] : [],
                Action = action,
                Values = values,
            };
            return AdminCli.CallAsync(context, request, cancellationToken);
        });
        return command;
    }
}
