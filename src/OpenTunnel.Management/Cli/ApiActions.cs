namespace OpenTunnel.Management.Cli;

/// <summary>How an action's answer is printed for people (--json prints the API's answer as it is).</summary>
internal enum ActionOutput
{
    /// <summary>One object as name: value lines.</summary>
    Details,

    /// <summary>A list as aligned columns (<see cref="ApiAction.Table"/> names them).</summary>
    Table,

    /// <summary>No answer body: <see cref="ApiAction.Done"/> is printed.</summary>
    Done,

    /// <summary>A new enrolment token: the token, its CA pin and the install line to run on the server.</summary>
    EnrolmentToken,
}

/// <summary>Where an option's value goes in the request.</summary>
internal enum ActionTarget
{
    Body,
    Query,

    /// <summary>Into the path, in place of {Field}.</summary>
    Path,
}

/// <summary>One option of an action.</summary>
internal sealed record ActionOption(string Name, string Field, string Description)
{
    public ActionTarget Target { get; init; } = ActionTarget.Body;

    public bool Required { get; init; }

    /// <summary>An integer: a typed option, a JSON number in the body.</summary>
    public bool Number { get; init; }

    /// <summary>The value names a file ('-': standard input) whose first line is the field, so a secret never sits in the process's arguments.</summary>
    public bool SecretFile { get; init; }
}

/// <summary>
/// An API call beyond create/read/update/delete, as a verb of its resource: the HTTP method and
/// path (with {ARGUMENT} placeholders for the positional arguments), its options, and how its
/// answer is printed.
/// </summary>
internal sealed record ApiAction(string Resource, string Verb, HttpMethod Method, string Path, string Help, string Example)
{
    /// <summary>The positional arguments, in order; each is a {NAME} in <see cref="Path"/>.</summary>
    public string[] Arguments { get; init; } = [];

    public ActionOption[] Options { get; init; } = [];

    public ActionOutput Output { get; init; } = ActionOutput.Details;

    /// <summary>The columns' key in <see cref="CliOutput"/> for <see cref="ActionOutput.Table"/>.</summary>
    public string? Table { get; init; }

    /// <summary>What <see cref="ActionOutput.Done"/> prints; {ARGUMENT} is replaced by its value.</summary>
    public string? Done { get; init; }

    /// <summary>Body fields every call of the action sends as they are (for example the command kind of a verb named after it).</summary>
    public (string Field, string Value)[] Fixed { get; init; } = [];

    /// <summary>Reads the object at <see cref="Path"/> first and writes it back changed by --file and --set, with If-Match.</summary>
    public bool Edit { get; init; }
}

/// <summary>Every API action the CLI has beside the resources' create/read/update/delete (docs/management.md#the-cli).</summary>
internal static class ApiActions
{
    private static readonly ActionOption Site = new("--site", "SITE", "The id of the site.") { Target = ActionTarget.Path, Required = true };
    private static readonly ActionOption Kind = new("--kind", "kind", "disconnect, terminate, revokeSessions or collectLogs.") { Required = true };
    private static readonly ActionOption Target = new("--target", "target", "The user name or session id the command is about (not for collectLogs).");

    /// <summary>POST sessions/commands with the kind fixed by the verb; the command goes to each server that holds the session(s).</summary>
    private static ApiAction SessionCommand(string kind, string help) =>
        new("sessions", kind, HttpMethod.Post, "sessions/commands", help + " The command is queued for the server's agent ('servers command' shows its result).", $"{kind} --server SERVER_ID --session 42")
        {
            Options =
            [
                new("--server", "serverId", "The id of the server that holds the session."),
                new("--session", "sessionId", "The gateway's session id, as 'sessions list' shows it."),
                new("--user", "user", "Every session of this user, on every server that holds one."),
            ],
            Fixed = [("kind", kind)],
            Output = ActionOutput.Table,
            Table = "commands",
        };

    public static readonly ApiAction[] All =
    [
        new("servers", "health", HttpMethod.Get, "servers/{ID}/health",
            "Show a server's health now: every check with its reason, the newest telemetry sample, and the configuration it runs or refused.",
            "health ID") { Arguments = ["ID"] },
        new("servers", "telemetry", HttpMethod.Get, "servers/{ID}/telemetry",
            "List a server's telemetry samples, oldest first (default: the last 24 hours).",
            "telemetry ID --from 2026-12-01T00:00:00Z --limit 100")
        {
            Arguments = ["ID"],
            Options =
            [
                new("--from", "from", "The earliest sample time (ISO 8601).") { Target = ActionTarget.Query },
                new("--to", "to", "The latest sample time (ISO 8601).") { Target = ActionTarget.Query },
                new("--limit", "limit", "At most this many samples (1 to 10000, default 1000).") { Target = ActionTarget.Query, Number = true },
            ],
            Output = ActionOutput.Table,
            Table = "telemetry",
        },
        new("servers", "commands", HttpMethod.Get, "servers/{ID}/commands",
            "List the newest 100 commands sent to a server's agent, with their state.",
            "commands ID") { Arguments = ["ID"], Output = ActionOutput.Table, Table = "commands" },
        new("servers", "command", HttpMethod.Get, "servers/{ID}/commands/{COMMAND_ID}",
            "Show one command of a server's agent with its result (for collectLogs, the logs).",
            "command ID COMMAND_ID") { Arguments = ["ID", "COMMAND_ID"] },
        new("servers", "send-command", HttpMethod.Post, "servers/{ID}/commands",
            "Send a command to a server's agent; it is delivered with the agent's next poll ('servers command' shows the result).",
            "send-command ID --kind disconnect --target alice") { Arguments = ["ID"], Options = [Kind, Target] },
        new("servers", "certificates", HttpMethod.Get, "servers/{ID}/certificates",
            "List the agent certificates issued to a server, revoked or not.",
            "certificates ID") { Arguments = ["ID"], Output = ActionOutput.Table, Table = "certificates" },
        new("servers", "revoke-certificates", HttpMethod.Post, "servers/{ID}/certificates/revoke",
            "Revoke every certificate of a server's agent: the agent is refused from its next request on, until it enrols again.",
            "revoke-certificates ID --reason 'server stolen'")
        {
            Arguments = ["ID"],
            Options = [new("--reason", "reason", "Why, kept with each certificate (default: who revoked it).")],
        },
        new("servers", "enrol-token", HttpMethod.Post, "sites/{SITE}/enrolment-tokens",
            "Create a one-time enrolment token for a server of a site, and print the install line to run as root on the new server. The token is shown once.",
            "enrol-token --site SITE_ID --valid-hours 2")
        {
            Options = [Site, new("--valid-hours", "validForHours", "How long the token is valid, in hours (1 to 720, default 24).") { Number = true }],
            Output = ActionOutput.EnrolmentToken,
        },
        new("servers", "enrol-tokens", HttpMethod.Get, "sites/{SITE}/enrolment-tokens",
            "List a site's enrolment tokens (without their secret): when each expires and which server redeemed it.",
            "enrol-tokens --site SITE_ID") { Options = [Site], Output = ActionOutput.Table, Table = "enrolment-tokens" },
        new("servers", "revoke-enrol-token", HttpMethod.Delete, "enrolment-tokens/{TOKEN_ID}",
            "Revoke an enrolment token that has not been used yet.",
            "revoke-enrol-token TOKEN_ID") { Arguments = ["TOKEN_ID"], Output = ActionOutput.Done, Done = "Revoked enrolment token {TOKEN_ID}." },
        new("sites", "health", HttpMethod.Get, "sites/{ID}/health",
            "Show a site's health: its state with the reason, and each server's.",
            "health ID") { Arguments = ["ID"] },
        new("sites", "send-command", HttpMethod.Post, "sites/{ID}/commands",
            "Send a command to the agent of every server of a site, for example to end a user's sessions wherever they are.",
            "send-command ID --kind revokeSessions --target alice") { Arguments = ["ID"], Options = [Kind, Target], Output = ActionOutput.Table, Table = "commands" },
        new("users", "set-password", HttpMethod.Put, "users/{ID}/password",
            "Set a user's password (10 to 256 characters) from the first line of a file, or of standard input with '-'; never from the command line.",
            "set-password ID --password-file - < new-password")
        {
            Arguments = ["ID"],
            Options = [new("--password-file", "password", "The file that holds the password; '-' reads standard input.") { Required = true, SecretFile = true }],
            Output = ActionOutput.Done,
            Done = "Set the password of user {ID}.",
        },
        new("users", "enable-totp", HttpMethod.Post, "users/{ID}/totp",
            "Turn the TOTP second factor on for a user: prints the secret and the otpauth:// URI once, for the user's authenticator app.",
            "enable-totp ID") { Arguments = ["ID"] },
        new("users", "disable-totp", HttpMethod.Delete, "users/{ID}/totp",
            "Turn a user's TOTP second factor off.",
            "disable-totp ID") { Arguments = ["ID"], Output = ActionOutput.Done, Done = "Turned TOTP off for user {ID}." },
        new("users", "revoke-sessions", HttpMethod.Post, "users/{ID}/revoke-sessions",
            "Revoke every refresh token and authorization of a user, refuse the tokens issued before now, and tell the gateways to end the user's sessions.",
            "revoke-sessions ID") { Arguments = ["ID"] },
        new("devices", "approve", HttpMethod.Post, "devices/{ID}/approve",
            "Approve a device pending under Identity:DeviceApproval administrator: it becomes enrolled and its compliance is evaluated.",
            "approve ID") { Arguments = ["ID"] },
        new("automation-clients", "list", HttpMethod.Get, "automation-clients",
            "List the identity provider's automation clients (client credentials), without their secret.",
            "list") { Output = ActionOutput.Table, Table = "automation-clients" },
        new("automation-clients", "create", HttpMethod.Post, "automation-clients",
            "Create an automation client for the client-credentials flow; its secret is shown once.",
            "create --name ci --role read-only")
        {
            Options =
            [
                new("--name", "name", "Letters, digits and . _ - (at most 64).") { Required = true },
                new("--role", "role", "read-only or full-admin.") { Required = true },
            ],
        },
        new("automation-clients", "delete", HttpMethod.Delete, "automation-clients/{CLIENT_ID}",
            "Delete an automation client: its tokens are refused from then on.",
            "delete CLIENT_ID") { Arguments = ["CLIENT_ID"], Output = ActionOutput.Done, Done = "Deleted automation client {CLIENT_ID}." },
        new("health-thresholds", "get", HttpMethod.Get, "health-thresholds",
            "Show the limits servers' health is judged by.",
            "get"),
        new("health-thresholds", "update", HttpMethod.Put, "health-thresholds",
            "Change the health thresholds: reads them, applies --file and --set, writes them back with If-Match.",
            "update --set cpuHealthyMaximumPercent=90") { Edit = true },
        new("access-log", "list", HttpMethod.Get, "access-log",
            "List ended VPN sessions, newest end first: user, device, addresses, server, times, why it ended and the bytes each way.",
            "list --user alice --from 2026-12-01T00:00:00Z --limit 100")
        {
            Options =
            [
                new("--user", "user", "Only this user's sessions (the exact user name).") { Target = ActionTarget.Query },
                new("--device", "device", "Only this device's sessions (its device id).") { Target = ActionTarget.Query },
                new("--site", "site", "Only sessions on this site's servers (id or name).") { Target = ActionTarget.Query },
                new("--server", "server", "Only sessions on this server (id or name).") { Target = ActionTarget.Query },
                new("--from", "from", "Only sessions up at or after this time (ISO 8601).") { Target = ActionTarget.Query },
                new("--to", "to", "Only sessions up before this time (ISO 8601).") { Target = ActionTarget.Query },
                new("--limit", "limit", "At most this many sessions (1 to 500, default 50).") { Target = ActionTarget.Query, Number = true },
                new("--cursor", "cursor", "Continue after the page before: the cursor it printed.") { Target = ActionTarget.Query },
            ],
            Output = ActionOutput.Table,
            Table = "access-log",
        },
        new("sessions", "list", HttpMethod.Get, "sessions",
            "List the sessions every gateway holds, as each agent last reported them: user, device, addresses, channel, server, since when, the bytes each way and when the snapshot was taken.",
            "list --user alice --site hq")
        {
            Options =
            [
                new("--user", "user", "Only this user's sessions (the exact user name).") { Target = ActionTarget.Query },
                new("--device", "device", "Only this device's sessions (its device id).") { Target = ActionTarget.Query },
                new("--site", "site", "Only sessions on this site's servers (id or name).") { Target = ActionTarget.Query },
                new("--server", "server", "Only sessions on this server (id or name).") { Target = ActionTarget.Query },
                new("--page", "page", "The page, from 1.") { Target = ActionTarget.Query, Number = true },
                new("--page-size", "pageSize", "Sessions per page (1 to 500, default 50).") { Target = ActionTarget.Query, Number = true },
            ],
            Output = ActionOutput.Table,
            Table = "sessions",
        },
        SessionCommand("disconnect", "Close one session (--server and --session) or every session of a user (--user); the cookies stay valid and clients reconnect."),
        SessionCommand("terminate", "End one session (--server and --session) or every session of a user (--user) and revoke their cookies; clients must sign in again."),
        new("agent-ca", "get", HttpMethod.Get, "agent-ca",
            "Show the internal CA that signs agent certificates: subject, expiry, the pin agents enrol with (opentunnel-agent enrol --ca-pin), PEM.",
            "get"),
    ];
}
