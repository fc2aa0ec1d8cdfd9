using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Primitives;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.AccessLog;

/// <summary>Where a page of the access log continues: after the record that ended at <see cref="EndedAt"/> with id <see cref="Id"/>.</summary>
public readonly record struct AccessLogCursor(DateTime EndedAt, long Id)
{
    /// <summary>The opaque text a client sends back as <c>cursor</c>.</summary>
    public override string ToString() =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{EndedAt.Ticks}.{Id}")));

    public static bool TryParse(string text, out AccessLogCursor cursor)
    {
        cursor = default;
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return false;
        }

        string[] parts = Encoding.ASCII.GetString(bytes).Split('.');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks) || ticks > DateTime.MaxValue.Ticks
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long id))
        {
            return false;
        }

        cursor = new AccessLogCursor(new DateTime(ticks, DateTimeKind.Utc), id);
        return true;
    }
}

/// <summary>
/// The filters of <c>GET /api/v1/access-log</c>, read from the query string so that every bad
/// value is answered with a 400 that names its parameter: <c>user</c> and <c>device</c> (exact),
/// <c>site</c> and <c>server</c> (an id or a name), <c>from</c> and <c>to</c> (ISO 8601; a session
/// matches when it was up at some moment from <c>from</c> to before <c>to</c>), <c>limit</c>
/// (1 to 500, default 50) and <c>cursor</c> (the <c>nextCursor</c> of the page before).
/// </summary>
public sealed record AccessLogQuery(string? User, string? Device, string? Site, string? Server, DateTime? From, DateTime? To, int Limit, AccessLogCursor? Cursor)
{
    public const int DefaultLimit = 50;
    public const int MaximumLimit = 500;

    private static readonly string[] Parameters = ["user", "device", "site", "server", "from", "to", "limit", "cursor"];

    /// <summary>The query of <paramref name="query"/>, or null with <paramref name="errors"/> naming each bad parameter.</summary>
    public static AccessLogQuery? Parse(IEnumerable<KeyValuePair<string, StringValues>> query, out ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(query);
        errors = new ValidationErrors();
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach ((string name, StringValues given) in query)
        {
            if (Array.FindIndex(Parameters, p => string.Equals(p, name, StringComparison.OrdinalIgnoreCase)) < 0)
            {
                errors.Add(name, $"is not a parameter of the access log; it takes {string.Join(", ", Parameters)}.");
            }
            else if (given.Count != 1)
            {
                errors.Add(name, "is given more than once.");
            }
            else if (string.IsNullOrWhiteSpace(given[0]))
            {
                errors.Add(name, "is empty; leave it out to not filter by it.");
            }
            else
            {
                values[name] = given[0]!;
            }
        }

        DateTime? from = Moment(values, "from", errors);
        DateTime? to = Moment(values, "to", errors);
        if (from is { } start && to is { } end && end <= start)
        {
            errors.Add("to", $"is {end:O}, not after from ({start:O}).");
        }

        int limit = DefaultLimit;
        if (values.TryGetValue("limit", out string? limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaximumLimit))
        {
            errors.Add("limit", $"is '{limitText}'; it must be a whole number from 1 to {MaximumLimit}.");
        }

        AccessLogCursor? cursor = null;
        if (values.TryGetValue("cursor", out string? cursorText))
        {
            if (AccessLogCursor.TryParse(cursorText, out AccessLogCursor parsed))
            {
                cursor = parsed;
            }
            else
            {
                errors.Add("cursor", "is not a cursor this service gave out: pass the nextCursor of the page before, unchanged.");
            }
        }

        return errors.IsValid
            ? new AccessLogQuery(values.GetValueOrDefault("user"), values.GetValueOrDefault("device"), values.GetValueOrDefault("site"), values.GetValueOrDefault("server"), from, to, limit, cursor)
            : null;
    }

    private static DateTime? Moment(Dictionary<string, string> values, string name, ValidationErrors errors)
    {
        if (!values.TryGetValue(name, out string? text))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset moment))
        {
            return moment.UtcDateTime;
        }

        errors.Add(name, $"is '{text}', not a date and time (ISO 8601, for example 2026-12-03T14:00:00Z; UTC when it names no offset).");
        return null;
    }
}
