using System.Text.Json;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Agent.Configuration;

/// <summary>The last configuration the gateway accepted, so the agent knows after a restart what its gateway runs.</summary>
public sealed record AppliedConfiguration(string ETag, long ServerConfigurationVersion, DateTime AppliedAt, EffectiveConfiguration Configuration);

/// <summary>Keeps <see cref="AppliedConfiguration"/> in <c>applied-configuration.json</c> in the data directory.</summary>
public sealed class AppliedConfigurationStore(string directory)
{
    public const string FileName = "applied-configuration.json";

    public string Path { get; } = System.IO.Path.Combine(directory, FileName);

    /// <summary>The stored one, or null when none was applied yet (or the file is unreadable: the next poll brings it again).</summary>
    public AppliedConfiguration? Load()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<AppliedConfiguration>(File.ReadAllText(Path), AgentJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Save(AppliedConfiguration applied) =>
        AgentIdentityStore.WriteAtomically(Path, JsonSerializer.Serialize(applied, AgentJson.Options));
}
