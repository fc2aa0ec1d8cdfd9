namespace OpenTunnel.Management.Cli;

/// <summary>Where an API verb writes and how it reaches the service (tests hand in their own handler and environment).</summary>
internal sealed record CliContext(TextWriter Output, TextWriter Error, HttpMessageHandler? Handler, Func<string, string?> Environment);

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

    public int? ValidHours { get; init; }
}
