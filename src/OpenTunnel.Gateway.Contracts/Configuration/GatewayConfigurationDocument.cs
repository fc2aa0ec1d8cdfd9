using System.Globalization;
using System.Text.Json.Nodes;

namespace OpenTunnel.Gateway.Contracts.Configuration;

/// <summary>
/// The gateway's configuration document (its JSON file, and the document the control socket's
/// <c>apply</c> takes) as the management agent writes it: sections and settings matched without
/// regard to case, as the gateway's configuration reader does, so a base file written in
/// camelCase is not given a second key; and which settings a running gateway takes only at a
/// restart.
/// </summary>
public static class GatewayConfigurationDocument
{
    /// <summary>
    /// The settings of the running gateway that change only at a restart, from its status
    /// (<c>listen</c>, <c>pool</c>, <c>pool6</c>: null when it runs without IPv6, <c>dtls</c>).
    /// </summary>
    public sealed record RunningGateway(int Port, string Pool, bool UdpEnabled, string? Pool6 = null);

    /// <summary>
    /// The document with the listener port, address pools and DTLS switch the running gateway
    /// has: these change only at a restart, so a running gateway refuses a document that changes
    /// them. The rest applies at once; the full document is kept for the next start.
    /// </summary>
    public static JsonObject WithRunningRestartSettings(JsonObject document, RunningGateway running)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(running);
        var live = (JsonObject)document.DeepClone();
        Set(Section(live, "Listener"), "Port", running.Port);
        JsonObject network = Section(live, "Network");
        Set(network, "IPv4Pool", running.Pool);
        Set(network, "IPv6Pool", running.Pool6);
        Set(Section(live, "Udp"), "Enabled", running.UdpEnabled);
        return live;
    }

    /// <summary>What differs between the running gateway and <paramref name="document"/> among the settings that need a restart; empty when nothing does.</summary>
    public static List<string> PendingRestart(JsonObject document, RunningGateway running)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(running);
        (int runningPort, string runningPool) = (running.Port, running.Pool);
        var pending = new List<string>();
        if (Get(Section(document, "Listener"), "Port")?.GetValue<int>() is { } port && port != runningPort)
        {
            pending.Add(string.Create(CultureInfo.InvariantCulture, $"Listener:Port {runningPort} → {port}"));
        }

        if (Get(Section(document, "Network"), "IPv4Pool")?.GetValue<string>() is { } pool && !SameNetwork(pool, runningPool))
        {
            pending.Add($"Network:IPv4Pool {runningPool} → {pool}");
        }

        string? pool6 = Get(Section(document, "Network"), "IPv6Pool")?.GetValue<string>();
        if (!SameNetwork(pool6, running.Pool6))
        {
            pending.Add($"Network:IPv6Pool {running.Pool6 ?? "none"} → {pool6 ?? "none"}");
        }

        if (Get(Section(document, "Udp"), "Enabled")?.GetValue<bool>() is { } udp && udp != running.UdpEnabled)
        {
            pending.Add($"Udp:Enabled {(running.UdpEnabled ? "true" : "false")} → {(udp ? "true" : "false")}");
        }

        return pending;
    }

    private static bool SameNetwork(string? a, string? b) =>
        System.Net.IPNetwork.TryParse(a, out System.Net.IPNetwork x) && System.Net.IPNetwork.TryParse(b, out System.Net.IPNetwork y)
            ? x.Equals(y)
            : string.Equals(a, b, StringComparison.Ordinal);

    /// <summary>The section <paramref name="name"/> of <paramref name="document"/>, made when it is missing.</summary>
    public static JsonObject Section(JsonObject document, string name)
    {
        if (Get(document, name) is JsonObject existing)
        {
            return existing;
        }

        var section = new JsonObject();
        Set(document, name, section);
        return section;
    }

    /// <summary>The setting <paramref name="name"/>, matched without regard to case; null when absent.</summary>
    public static JsonNode? Get(JsonObject section, string name)
    {
        foreach (KeyValuePair<string, JsonNode?> property in section)
        {
            if (string.Equals(property.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    /// <summary>Sets <paramref name="name"/>, replacing a key of any case; null removes it.</summary>
    public static void Set(JsonObject section, string name, JsonNode? value)
    {
        string? existing = null;
        foreach (KeyValuePair<string, JsonNode?> property in section)
        {
            if (string.Equals(property.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                existing = property.Key;
                break;
            }
        }

        if (existing is not null)
        {
            section.Remove(existing);
        }

        if (value is not null)
        {
            section[name] = value;
        }
    }

    /// <summary>A JSON array of the strings.</summary>
    public static JsonArray Array(IReadOnlyList<string> values)
    {
        var array = new JsonArray();
        foreach (string value in values)
        {
            array.Add((JsonNode)value);
        }

        return array;
    }
}
