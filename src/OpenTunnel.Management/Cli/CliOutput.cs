using System.Text.Json;
using OpenTunnel.CommandLine;

namespace OpenTunnel.Management.Cli;

/// <summary>Prints API answers as a table (lists), as name: value lines (one object), or as JSON.</summary>
public static class CliOutput
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The columns a list shows per resource; the rest is in "get" and --json.</summary>
    private static readonly Dictionary<string, string[]> Columns = new(StringComparer.Ordinal)
    {
        ["configurations"] = ["id", "name", "ipv4Range", "port", "version"],
        ["sites"] = ["id", "name", "publicAddress", "serverConfigurationId", "version"],
        ["servers"] = ["id", "name", "siteId", "state", "health", "lastCheckIn"],
        ["profiles"] = ["id", "name", "siteId", "platform", "alwaysOn"],
        ["devices"] = ["id", "name", "platform", "osVersion", "complianceState"],
        ["compliance-policies"] = ["id", "name", "platform", "minimumOsVersion"],
        ["conditional-access-policies"] = ["id", "name", "enabled", "requireCompliantDevice", "allowUnenrolledDevices"],
        ["users"] = ["id", "name", "displayName", "enabled"],
        ["groups"] = ["id", "name", "displayName"],
        ["api-keys"] = ["id", "name", "role", "expiresAt"],
        ["audit"] = ["id", "at", "actor", "action", "entityType", "entityId"],
        ["telemetry"] = ["sequence", "at", "cpuPercent", "memoryPercent", "activeSessions", "bytesPerSecondIn", "bytesPerSecondOut", "latencyMilliseconds"],
        ["commands"] = ["id", "kind", "target", "state", "createdAt", "completedAt"],
        ["certificates"] = ["id", "serialNumber", "notAfter", "issuedAt", "revokedAt", "revocationReason"],
        ["enrolment-tokens"] = ["id", "createdAt", "expiresAt", "redeemedAt", "redeemedByServerId"],
        ["automation-clients"] = ["clientId", "displayName", "role"],
        ["sessions"] = ["serverName", "sessionId", "userName", "deviceId", "address", "clientAddress", "channel", "connectedSince", "bytesIn", "bytesOut", "reportedAt"],
        ["access-log"] = ["startedAt", "endedAt", "userName", "deviceId", "address", "clientAddress", "serverName", "reason", "bytesIn", "bytesOut"],
    };

    public static void WriteJson(TextWriter output, JsonElement json)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine(JsonSerializer.Serialize(json, Indented));
    }

    /// <summary>A page of a list as aligned columns, then "page N, M of T", or for a list paged by cursor the cursor of the next page.</summary>
    public static void WriteTable(TextWriter output, string resource, JsonElement page)
    {
        ArgumentNullException.ThrowIfNull(output);
        JsonElement items = page.ValueKind == JsonValueKind.Array ? page : page.GetProperty("items");
        string[] columns = Columns.GetValueOrDefault(resource) ?? ["id", "name"];
        List<IReadOnlyList<string>> rows = [.. items.EnumerateArray().Select(item => (IReadOnlyList<string>)
            [.. columns.Select(c => item.TryGetProperty(c, out JsonElement v) ? Scalar(v) : string.Empty)])];
        TextTable.Write(output, columns, rows);
        if (page.ValueKind == JsonValueKind.Object && page.TryGetProperty("nextCursor", out JsonElement next))
        {
            output.WriteLine(next.ValueKind == JsonValueKind.String ? $"{rows.Count} shown; the next page: --cursor {next.GetString()}" : $"{rows.Count} shown; no more");
        }
        else if (page.ValueKind == JsonValueKind.Object)
        {
            output.WriteLine($"page {page.GetProperty("pageNumber").GetInt32()}, {rows.Count} of {page.GetProperty("totalCount").GetInt32()}");
        }
    }

    /// <summary>One object as "name: value" lines; nested objects and lists of objects as compact JSON.</summary>
    public static void WriteDetails(TextWriter output, JsonElement item)
    {
        ArgumentNullException.ThrowIfNull(output);
        TextTable.WritePairs(output, item.EnumerateObject().Select(p => (p.Name, Scalar(p.Value))));
    }

    /// <summary>
    /// A new enrolment token: the token (shown this once), its CA pin and expiry, then the install
    /// line to run as root on the new server with the token saved in FILE (docs/install.md).
    /// </summary>
    public static void WriteEnrolmentToken(TextWriter output, JsonElement created)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"token:      {created.GetProperty("token").GetString()}   (shown once)");
        output.WriteLine($"caPin:      {created.GetProperty("caPin").GetString()}");
        output.WriteLine($"expiresAt:  {Scalar(created.GetProperty("enrolmentToken").GetProperty("expiresAt"))}");
        output.WriteLine();
        output.WriteLine("On the new server, save the token in a file only root can read, then run as root (FILE is that file):");
        output.WriteLine();
        output.WriteLine(created.GetProperty("installLine").GetString());
    }

    /// <summary>A problem answer: status, title, detail and each field's messages.</summary>
    public static void WriteProblem(TextWriter error, int status, JsonElement problem, string body)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (problem.ValueKind != JsonValueKind.Object)
        {
            error.WriteLine($"error: HTTP {status} {body}".TrimEnd());
            return;
        }

        string title = problem.TryGetProperty("title", out JsonElement t) ? t.GetString() ?? string.Empty : string.Empty;
        error.WriteLine($"error: HTTP {status} {title}".TrimEnd());
        if (problem.TryGetProperty("detail", out JsonElement detail) && detail.ValueKind == JsonValueKind.String)
        {
            error.WriteLine($"  {detail.GetString()}");
        }

        if (problem.TryGetProperty("errors", out JsonElement errors) && errors.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty field in errors.EnumerateObject())
            {
                foreach (JsonElement message in field.Value.EnumerateArray())
                {
                    error.WriteLine($"  {field.Name}: {message.GetString()}");
                }
            }
        }
    }

    private static string Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null or JsonValueKind.Undefined => "-",
        JsonValueKind.Array when value.EnumerateArray().All(v => v.ValueKind != JsonValueKind.Object && v.ValueKind != JsonValueKind.Array) =>
            string.Join(", ", value.EnumerateArray().Select(Scalar)),
        _ => value.GetRawText(),
    };
}
