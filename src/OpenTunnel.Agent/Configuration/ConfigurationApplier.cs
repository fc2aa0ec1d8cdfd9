using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Gateway;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Gateway.Contracts.Configuration;
using OpenTunnel.Gateway.Contracts.Control;

namespace OpenTunnel.Agent.Configuration;

/// <summary>
/// Applies one configuration version to the gateway: merges it into the gateway's own file,
/// has the running gateway validate and swap it in (the listener port and address pools stay
/// as they run until a restart), and only when the gateway accepts it writes the file, so the
/// gateway starts with the last good configuration after a restart. A refused version changes
/// nothing; the report says why.
/// </summary>
public sealed partial class ConfigurationApplier(IGatewayControl gateway, string gatewayFile, AppliedConfigurationStore store, TimeProvider clock, ILogger logger)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// The report for the management service. Throws <see cref="ControlUnavailableException"/>
    /// when the gateway cannot be asked; the caller tries again later.
    /// </summary>
    public async Task<ConfigurationReport> ApplyAsync(EffectiveConfiguration configuration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        JsonObject file;
        try
        {
            file = JsonNode.Parse(await File.ReadAllTextAsync(gatewayFile, cancellationToken), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new JsonException("the file does not hold a JSON object");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return Refused(configuration, $"The gateway's configuration file {gatewayFile} cannot be read on this server: {e.Message}");
        }

        GatewayConfigurationMerge.Result merged = GatewayConfigurationMerge.Merge(file, configuration);
        JsonObject status = await gateway.StatusAsync(cancellationToken);
        var running = new GatewayConfigurationDocument.RunningGateway(
            IPEndPoint.TryParse(status["listen"]?.GetValue<string>() ?? string.Empty, out IPEndPoint? listen) ? listen.Port : 0,
            status["pool"]?.GetValue<string>() ?? string.Empty,
            status["dtls"] is JsonObject,
            status["pool6"]?.GetValue<string>());
        try
        {
            await gateway.ApplyAsync(GatewayConfigurationDocument.WithRunningRestartSettings(merged.Document, running), cancellationToken);
        }
        catch (ControlRefusedException e)
        {
            return Refused(configuration, e.Message);
        }

        AgentIdentityStore.WriteAtomically(gatewayFile, merged.Document.ToJsonString(Indented) + "\n");
        DateTime now = clock.GetUtcNow().UtcDateTime;
        store.Save(new AppliedConfiguration(configuration.ETag, configuration.ServerConfigurationVersion, now, configuration));
        var notes = new List<string>(merged.Notes);
        List<string> pending = GatewayConfigurationDocument.PendingRestart(merged.Document, running);
        if (pending.Count > 0)
        {
            notes.Add($"Applied except {string.Join(", ", pending)}: these take effect when the gateway restarts (the file has them).");
        }

        string? note = notes.Count == 0 ? null : string.Join(" ", notes);
        LogApplied(logger, configuration.ETag, configuration.SiteName, note ?? string.Empty);
        return new ConfigurationReport(configuration.ETag, configuration.ServerConfigurationVersion, true, null, note, now);
    }

    private ConfigurationReport Refused(EffectiveConfiguration configuration, string reason)
    {
        LogRefused(logger, configuration.ETag, reason);
        return new ConfigurationReport(configuration.ETag, configuration.ServerConfigurationVersion, false, reason, null, clock.GetUtcNow().UtcDateTime);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Applied configuration {ETag} of site {Site} to the gateway. {Note}")]
    private static partial void LogApplied(ILogger logger, string eTag, string site, string note);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "The gateway refused configuration {ETag}; it keeps running the one before: {Reason}")]
    private static partial void LogRefused(ILogger logger, string eTag, string reason);
}
