using System.Text.Json;

namespace OpenTunnel.Management.AdminConsole;

/// <summary>One field of an audited object that a change created, changed or removed.</summary>
public sealed record AuditChange(string Field, string? Before, string? After);

/// <summary>
/// The fields an audit entry's change touched: its before and after (the API's JSON of the
/// object) compared member by member at the top level, nested values shown as their JSON.
/// </summary>
public static class AuditDiff
{
    public static IReadOnlyList<AuditChange> Changes(string? before, string? after)
    {
        Dictionary<string, string> old = Members(before);
        Dictionary<string, string> @new = Members(after);
        var changes = new List<AuditChange>();
        foreach ((string field, string value) in @new)
        {
            old.TryGetValue(field, out string? previous);
            if (!string.Equals(previous, value, StringComparison.Ordinal))
            {
                changes.Add(new AuditChange(field, previous, value));
            }
        }

        foreach ((string field, string value) in old)
        {
            if (!@new.ContainsKey(field))
            {
                changes.Add(new AuditChange(field, value, null));
            }
        }

        return changes;
    }

    private static Dictionary<string, string> Members(string? json)
    {
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json))
        {
            return members;
        }

        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            members[""] = document.RootElement.GetRawText();
            return members;
        }

        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            members[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }

        return members;
    }
}
