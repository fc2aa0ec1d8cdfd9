using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace OpenTunnel.Management.AdminConsole;

/// <summary>
/// A refused write as a form shows it: each message at its field. The API names fields by JSON
/// path ("includeRoutes[3]", "groupPolicies[0].dnsSuffix", "proxy.port"), and a form field's id is
/// that path; a form field holds a whole list, one entry per line, so a message of a list's entry
/// ("groupPolicies[1].includeRoutes[3]") goes to the list's field and says which line.
/// </summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _byField = new(StringComparer.Ordinal);

    /// <summary>Messages of the whole object (a name already taken, a stale edit), shown above the form.</summary>
    public List<string> General { get; } = [];

    public bool Any => _byField.Count > 0 || General.Count > 0;

    public IEnumerable<string> Fields => _byField.Keys;

    public IReadOnlyList<string> For(string field) => _byField.TryGetValue(field, out List<string>? messages) ? messages : [];

    public bool Has(string field) => _byField.ContainsKey(field);

    /// <summary>Adds one message of the API's <paramref name="path"/>: "includeRoutes[3]" becomes field includeRoutes, "line 4: …".</summary>
    public void Add(string path, string message)
    {
        ArgumentNullException.ThrowIfNull(path);
        string field = path;
        int bracket = path.LastIndexOf('[');
        if (bracket > 0 && path.EndsWith(']') && int.TryParse(path.AsSpan(bracket + 1, path.Length - bracket - 2), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            field = path[..bracket];
            message = string.Create(CultureInfo.InvariantCulture, $"line {index + 1}: {message}");
        }

        if (!_byField.TryGetValue(field, out List<string>? messages))
        {
            _byField[field] = messages = [];
        }

        messages.Add(message);
    }

    /// <summary>
    /// Adds every message of the API's validation errors, by JSON path; <paramref name="rename"/>, when
    /// given, turns the API's path into the form's (a form whose rows are not the list it posts).
    /// </summary>
    public void AddAll(IDictionary<string, string[]> byPath, Func<string, string>? rename = null)
    {
        ArgumentNullException.ThrowIfNull(byPath);
        foreach ((string path, string[] messages) in byPath)
        {
            foreach (string message in messages)
            {
                Add(rename is null ? path : rename(path), message);
            }
        }
    }

    /// <summary>The messages of a refusal the API would have answered with: a validation problem by field (paths as <see cref="AddAll"/> renames them), any other problem as a general message.</summary>
    public static FieldErrors From(IResult refusal, Func<string, string>? rename = null)
    {
        var errors = new FieldErrors();
        switch (refusal)
        {
            case ValidationProblem validation:
                errors.AddAll(validation.ProblemDetails.Errors, rename);
                break;
            case ProblemHttpResult problem:
                errors.General.Add($"{problem.ProblemDetails.Title} {problem.ProblemDetails.Detail}".Trim());
                break;
            default:
                errors.General.Add("The change was refused.");
                break;
        }

        return errors;
    }

    /// <summary>
    /// <paramref name="path"/> with the item index of <paramref name="list"/> turned into the form's
    /// row: a form that shows a list as rows, and leaves removed and empty rows out of what it posts,
    /// sends item i from row <paramref name="rows"/>[i]. Other paths are as they are.
    /// </summary>
    public static string RowPath(string path, string list, IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(rows);
        if (!path.StartsWith(list + "[", StringComparison.Ordinal))
        {
            return path;
        }

        int start = list.Length + 1;
        int end = path.IndexOf(']', start);
        return end > start && int.TryParse(path.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out int item) && item < rows.Count
            ? string.Create(CultureInfo.InvariantCulture, $"{list}[{rows[item]}]{path[(end + 1)..]}")
            : path;
    }

    /// <summary>Whether <paramref name="refusal"/> says the object changed since it was read (412).</summary>
    public static bool IsStale(IResult refusal) => refusal is ProblemHttpResult { StatusCode: StatusCodes.Status412PreconditionFailed };
}
