using OpenTunnel.Client.Posture;

namespace OpenTunnel.Client.Tests.Posture;

[Trait("Category", "Unit")]
public sealed class NftablesFirewallTests
{
    private const string Meta = """{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}""";

    [Fact]
    public void Evaluate_EmptyRuleset_Off()
    {
        PostureFinding finding = NftablesFirewall.Evaluate($$$"""{"nftables": [{{{Meta}}}]}""");

        Assert.False(finding.Value);
        Assert.Contains("no nftables chain filters the input hook", finding.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_InputChainPolicyDrop_On()
    {
        string json = $$$"""
            {"nftables": [{{{Meta}}},
              {"table": {"family": "inet", "name": "filter", "handle": 1}},
              {"chain": {"family": "inet", "table": "filter", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}}]}
            """;

        PostureFinding finding = NftablesFirewall.Evaluate(json);

        Assert.True(finding.Value);
        Assert.Equal("input chain inet filter input has policy drop", finding.Evidence);
    }

    [Fact]
    public void Evaluate_InputChainAcceptWithRules_On()
    {
        string json = $$$"""
            {"nftables": [{{{Meta}}},
              {"chain": {"family": "ip", "table": "filter", "name": "INPUT", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}},
              {"rule": {"family": "ip", "table": "filter", "chain": "INPUT", "handle": 4, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "lo"}}, {"accept": null}]}}]}
            """;

        Assert.True(NftablesFirewall.Evaluate(json).Value);
    }

    [Fact]
    public void Evaluate_InputChainAcceptWithoutRules_Off()
    {
        string json = $$$"""
            {"nftables": [{{{Meta}}},
              {"chain": {"family": "ip", "table": "filter", "name": "INPUT", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}},
              {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 2, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
              {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 5, "expr": [{"drop": null}]}}]}
            """;

        PostureFinding finding = NftablesFirewall.Evaluate(json);

        Assert.False(finding.Value);
        Assert.Contains("ip filter INPUT", finding.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_DropOnlyInANetdevOrBridgeTable_Off()
    {
        string json = $$$"""
            {"nftables": [{{{Meta}}},
              {"chain": {"family": "bridge", "table": "b", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}}]}
            """;

        Assert.False(NftablesFirewall.Evaluate(json).Value);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"nftables": 3}""")]
    public void Evaluate_NotNftJson_UnknownSayingWhy(string output)
    {
        PostureFinding finding = NftablesFirewall.Evaluate(output);

        Assert.Null(finding.Value);
        Assert.Contains("nft", finding.Evidence, StringComparison.Ordinal);
    }
}
