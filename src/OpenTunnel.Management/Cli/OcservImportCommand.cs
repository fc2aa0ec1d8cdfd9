using System.Text.Json;
using System.Text.Json.Nodes;
using OpenTunnel.Management.Api;
using OpenTunnel.Management.Api.Resources;
using OpenTunnel.CommandLine;
using OpenTunnel.Management.Import;

namespace OpenTunnel.Management.Cli;

/// <summary>
/// "import-ocserv FILE [--site NAME] [--name NAME] [--dry-run]": reads an ocserv.conf and its
/// config-per-group directory, prints each warning, and unless the import has errors (or
/// --dry-run) creates the server configuration through the REST API and points the site at it.
/// </summary>
public static class OcservImportCommand
{
    /// <summary>Exit codes as the CLI's: 0 done, 1 refused (by the import or the API), 65 the file does not exist.</summary>
    public static async Task<int> RunAsync(
        string file, string? site, string? name, HttpClient? client, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (!File.Exists(file))
        {
            await error.WriteLineAsync($"error: {file} does not exist.");
            return ExitCodes.DataError;
        }

        string text = await File.ReadAllTextAsync(file, cancellationToken);
        OcservImport import = OcservImporter.Import(text, name ?? site ?? Path.GetFileNameWithoutExtension(file), ReadGroups(file, text));
        foreach (OcservNote warning in import.Warnings)
        {
            await error.WriteLineAsync($"warning: {warning}");
        }

        foreach (OcservNote problem in import.Errors)
        {
            await error.WriteLineAsync($"error: {problem}");
        }

        if (!import.Succeeded)
        {
            await error.WriteLineAsync($"{file} was not imported: {import.Errors.Count} error(s).");
            return 1;
        }

        ServerConfigurationInput body = ToInput(import);
        if (client is null)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(body, IndentedJson));
            return 0;
        }

        JsonElement? target = null;
        if (site is not null)
        {
            JsonElement page = await client.GetFromJsonAsync<JsonElement>($"api/v1/sites?name={Uri.EscapeDataString(site)}", cancellationToken);
            if (page.GetProperty("items").GetArrayLength() != 1)
            {
                await error.WriteLineAsync($"error: there is no site named '{site}'.");
                return 1;
            }

            target = page.GetProperty("items")[0];
        }

        using HttpResponseMessage created = await client.PostAsJsonAsync("api/v1/configurations", body, ApiJson.Options, cancellationToken);
        if (!await SucceededAsync(created, error, cancellationToken))
        {
            return 1;
        }

        JsonElement configuration = await created.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        string id = configuration.GetProperty("id").GetString()!;
        await output.WriteLineAsync($"Created server configuration '{body.Name}' ({id}) with {import.Warnings.Count} warning(s).");
        if (target is { } siteObject)
        {
            // The stored site is the starting point, as the CLI's "update": the API takes its writable fields back.
            JsonObject update = JsonNode.Parse(siteObject.GetRawText())!.AsObject();
            update["serverConfigurationId"] = id;
            using var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/sites/{siteObject.GetProperty("id").GetString()}") { Content = JsonContent.Create(update) };
            request.Headers.TryAddWithoutValidation("If-Match", EntityTag.Of(siteObject.GetProperty("version").GetInt64()));
            using HttpResponseMessage updated = await client.SendAsync(request, cancellationToken);
            if (!await SucceededAsync(updated, error, cancellationToken))
            {
                return 1;
            }

            await output.WriteLineAsync($"Site '{site}' now uses it.");
        }

        return 0;
    }

    private static readonly JsonSerializerOptions IndentedJson = new(ApiJson.Options) { WriteIndented = true };

    public static ServerConfigurationInput ToInput(OcservImport import)
    {
        ArgumentNullException.ThrowIfNull(import);
        Domain.ServerConfiguration c = import.Configuration;
        return new ServerConfigurationInput(
            c.Name, "Imported from ocserv.", c.Ipv4Range, c.Ipv6Range, c.DnsServers, c.DnsSuffixes, c.SplitDnsDomains,
            c.IncludeRoutes, c.ExcludeRoutes, c.Port, c.UdpDisabled, c.SessionTimeoutMinutes, c.IdleTimeoutMinutes, c.AllowClientToClient, GroupPolicies: c.GroupPolicies);
    }

    /// <summary>The files of the config-per-group directory (relative to the configuration file, as ocserv resolves it when it is not absolute).</summary>
    private static List<OcservGroupFile> ReadGroups(string file, string text)
    {
        OcservSetting? setting = OcservConfigFile.Parse(text).Settings.LastOrDefault(s => s.Key == "config-per-group");
        if (setting is null)
        {
            return [];
        }

        string directory = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, setting.Value);
        return Directory.Exists(directory)
            ? [.. Directory.GetFiles(directory).Order(StringComparer.Ordinal).Select(f => new OcservGroupFile(Path.GetFileName(f), File.ReadAllText(f)))]
            : [];
    }

    private static async Task<bool> SucceededAsync(HttpResponseMessage response, TextWriter error, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return true;
        }

        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonElement problem = body.StartsWith('{') ? JsonDocument.Parse(body).RootElement.Clone() : default;
        CliOutput.WriteProblem(error, (int)response.StatusCode, problem, body);
        return false;
    }
}
