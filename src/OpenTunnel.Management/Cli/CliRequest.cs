namespace OpenTunnel.Management.Cli;

/// <summary>Where an API verb reads and writes and how it reaches the service (tests hand in their own handler and environment).</summary>
internal sealed record CliContext(TextReader Input, TextWriter Output, TextWriter Error, HttpMessageHandler? Handler, Func<string, string?> Environment);

/// <summary>One API verb as the command line gave it.</summary>
internal sealed record CliRequest(string Resource, string Verb)
{
    public string? Id { get; init; }

    public string? Url { get; init; }

    public string? ApiKey { get; init; }

    public bool Json { get; init; }

    public int? Page { get; init; }

    public int? PageSize { get; init; }

    /// <summary>List filters as query parameters (--site-id X is siteId=X).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Filters { get; init; } = [];

    public FileInfo? File { get; init; }

    public IReadOnlyList<string> Sets { get; init; } = [];

    public string? Site { get; init; }

    /// <summary>The action this verb runs, when it is not one of create/read/update/delete.</summary>
    public ApiAction? Action { get; init; }

    /// <summary>The action's arguments and options by placeholder or field name.</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>();
}
