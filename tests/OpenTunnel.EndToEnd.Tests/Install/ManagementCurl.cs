using System.Text.Json;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Install;

/// <summary>
/// Calls the containerised management service's API with curl from inside a namespace of the
/// topology (the test process itself is in the root namespace, which reaches none of them), over
/// HTTPS checked against the deployment's CA file.
/// </summary>
public static class ManagementCurl
{
    /// <summary>METHOD URL with a JSON body (and the administrator key, when given); the answer's JSON, or the test fails with curl's error.</summary>
    public static JsonElement Call(NetworkTopology topology, string ns, string caFile, string? adminKey, string method, string url, object body)
    {
        string[] key = adminKey is null ? [] : ["-H", "X-Api-Key: " + adminKey];
        CommandResult result = topology.Exec(ns, "curl",
            ["-fsS", "--cacert", caFile, "-X", method, .. key, "-H", "Content-Type: application/json", "-d", JsonSerializer.Serialize(body), url], Command.DefaultTimeout);
        return JsonDocument.Parse(result.EnsureSuccess().StandardOutput).RootElement.Clone();
    }
}
