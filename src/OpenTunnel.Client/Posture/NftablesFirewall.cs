using System.Text.Json;

namespace OpenTunnel.Client.Posture;

/// <summary>
/// Whether the host filters what reaches it, from `nft -j list ruleset` (libnftables-json(5)):
/// the firewall is on when a base chain on the input hook of family ip, ip6 or inet has policy
/// drop, or has rules. Rules that iptables-nft and firewalld write show here too; rules of the
/// legacy iptables back end (xtables) do not.
/// </summary>
public static class NftablesFirewall
{
    public static PostureFinding Evaluate(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            return PostureFinding.Unknown($"nft printed something that is not JSON ({e.Message})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("nftables", out JsonElement items)
                || items.ValueKind != JsonValueKind.Array)
            {
                return PostureFinding.Unknown("nft's JSON has no \"nftables\" array");
            }

            return Evaluate(items);
        }
    }

    private static PostureFinding Evaluate(JsonElement items)
    {
        var inputChains = new Dictionary<string, string>(StringComparer.Ordinal);
        string? dropping = null;
        foreach (JsonElement item in items.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("chain", out JsonElement chain)
                && Text(chain, "hook") == "input" && Text(chain, "family") is "ip" or "ip6" or "inet")
            {
                string key = Key(chain, "name");
                inputChains[key] = Text(chain, "policy") ?? "accept";
                if (inputChains[key] == "drop")
                {
                    dropping ??= key;
                }
            }
        }

        if (dropping is not null)
        {
            return new PostureFinding(true, $"input chain {dropping} has policy drop");
        }

        foreach (JsonElement item in items.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("rule", out JsonElement rule) && inputChains.ContainsKey(Key(rule, "chain")))
            {
                return new PostureFinding(true, $"input chain {Key(rule, "chain")} has rules");
            }
        }

        return inputChains.Count == 0
            ? new PostureFinding(false, "no nftables chain filters the input hook")
            : new PostureFinding(false, $"the input chains ({string.Join(", ", inputChains.Keys)}) accept everything and have no rules");
    }

    /// <summary>"family table name", which names a chain across tables.</summary>
    private static string Key(JsonElement element, string nameProperty) =>
        $"{Text(element, "family")} {Text(element, "table")} {Text(element, nameProperty)}";

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
