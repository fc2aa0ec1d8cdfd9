using System.Globalization;
using OpenTunnel.Management.Api.Resources;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.AdminConsole.Pages;

/// <summary>
/// The server configuration form: text as typed, lists one entry per line. It only turns text
/// into the API's input; every rule is the API's own validator's.
/// </summary>
public sealed class ConfigurationForm
{
    public string? Name { get; set; }

    public string? Description { get; set; }

    public string? Ipv4Range { get; set; }

    public string? Ipv6Range { get; set; }

    public string? DnsServers { get; set; }

    public string? DnsSuffixes { get; set; }

    public string? SplitDnsDomains { get; set; }

    public string? IncludeRoutes { get; set; }

    public string? ExcludeRoutes { get; set; }

    public string? Port { get; set; }

    public bool UdpDisabled { get; set; }

    public string? SessionTimeoutMinutes { get; set; }

    public string? IdleTimeoutMinutes { get; set; }

    public bool AllowClientToClient { get; set; }

    /// <summary>"off" or "redirect"; "off" with no threshold is no load-balancing settings at all.</summary>
    public string? LoadBalancingMode { get; set; } = LoadBalancingSettings.Off;

    public string? LoadBalancingThresholdPercent { get; set; }

    /// <summary>One row per group policy; the form adds a blank row for a new one (see <see cref="AddBlankGroupPolicy"/>).</summary>
    public List<GroupPolicyForm> GroupPolicies { get; set; } = [];

    /// <summary>The version the edit started from: sent as If-Match, so a change stored meanwhile is not overwritten unseen.</summary>
    public long Version { get; set; }

    public static ConfigurationForm From(ServerConfiguration c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new ConfigurationForm
        {
            Name = c.Name,
            Description = c.Description,
            Ipv4Range = c.Ipv4Range,
            Ipv6Range = c.Ipv6Range,
            DnsServers = Lines(c.DnsServers),
            DnsSuffixes = Lines(c.DnsSuffixes),
            SplitDnsDomains = Lines(c.SplitDnsDomains),
            IncludeRoutes = Lines(c.IncludeRoutes),
            ExcludeRoutes = Lines(c.ExcludeRoutes),
            Port = c.Port.ToString(CultureInfo.InvariantCulture),
            UdpDisabled = c.UdpDisabled,
            SessionTimeoutMinutes = c.SessionTimeoutMinutes?.ToString(CultureInfo.InvariantCulture),
            IdleTimeoutMinutes = c.IdleTimeoutMinutes.ToString(CultureInfo.InvariantCulture),
            AllowClientToClient = c.AllowClientToClient,
            LoadBalancingMode = c.LoadBalancing?.Mode ?? LoadBalancingSettings.Off,
            LoadBalancingThresholdPercent = c.LoadBalancing?.ThresholdPercent.ToString(CultureInfo.InvariantCulture),
            GroupPolicies = [.. (c.GroupPolicies ?? []).Select(GroupPolicyForm.From)],
            Version = c.Version,
        };
    }

    /// <summary>The form as posted (names "Form.Name" and so on, as the page's form sends them), for validation while typing.</summary>
    public static ConfigurationForm From(IFormCollection posted)
    {
        ArgumentNullException.ThrowIfNull(posted);
        return new ConfigurationForm
        {
            Name = posted["Form.Name"],
            Description = posted["Form.Description"],
            Ipv4Range = posted["Form.Ipv4Range"],
            Ipv6Range = posted["Form.Ipv6Range"],
            DnsServers = posted["Form.DnsServers"],
            DnsSuffixes = posted["Form.DnsSuffixes"],
            SplitDnsDomains = posted["Form.SplitDnsDomains"],
            IncludeRoutes = posted["Form.IncludeRoutes"],
            ExcludeRoutes = posted["Form.ExcludeRoutes"],
            Port = posted["Form.Port"],
            UdpDisabled = posted["Form.UdpDisabled"] == "true",
            SessionTimeoutMinutes = posted["Form.SessionTimeoutMinutes"],
            IdleTimeoutMinutes = posted["Form.IdleTimeoutMinutes"],
            AllowClientToClient = posted["Form.AllowClientToClient"] == "true",
            LoadBalancingMode = posted["Form.LoadBalancingMode"],
            LoadBalancingThresholdPercent = posted["Form.LoadBalancingThresholdPercent"],
            GroupPolicies = GroupPolicyForm.From(posted),
        };
    }

    /// <summary>Adds an empty group policy row at the end, where a new policy is typed, unless the last row is empty already.</summary>
    public void AddBlankGroupPolicy()
    {
        if (GroupPolicies.Count == 0 || !GroupPolicies[^1].IsBlank)
        {
            GroupPolicies.Add(new GroupPolicyForm());
        }
    }

    /// <summary>
    /// The API's input: <paramref name="stored"/> (the configuration as stored, so a field this form
    /// does not show keeps its value; a new configuration's defaults when null) with the form's
    /// fields set. A number field that is not a whole number is named in <paramref name="errors"/>
    /// and left out of the input (so the other fields can still be checked), and must not be saved.
    /// Group policy rows marked for removal or left empty are not sent (see <see cref="FieldOf"/>).
    /// </summary>
    public ServerConfigurationInput ToInput(FieldErrors errors, ServerConfigurationInput? stored = null)
    {
        ArgumentNullException.ThrowIfNull(errors);
        int? port = Number(errors, "port", Port);
        int? session = Number(errors, "sessionTimeoutMinutes", SessionTimeoutMinutes);
        int? idle = Number(errors, "idleTimeoutMinutes", IdleTimeoutMinutes);
        int? threshold = Number(errors, "loadBalancing.thresholdPercent", LoadBalancingThresholdPercent);
        string mode = Blank(LoadBalancingMode) ?? LoadBalancingSettings.Off;
        List<GroupPolicySettings> policies = [.. KeptGroupPolicyRows().Select(row => GroupPolicies[row].ToSettings())];
        return (stored ?? new ServerConfigurationInput(null)) with
        {
            Name = Name?.Trim(),
            Description = Blank(Description),
            Ipv4Range = Blank(Ipv4Range),
            Ipv6Range = Blank(Ipv6Range),
            DnsServers = List(DnsServers),
            DnsSuffixes = List(DnsSuffixes),
            SplitDnsDomains = List(SplitDnsDomains),
            IncludeRoutes = List(IncludeRoutes),
            ExcludeRoutes = List(ExcludeRoutes),
            Port = port,
            UdpDisabled = UdpDisabled,
            SessionTimeoutMinutes = session,
            IdleTimeoutMinutes = idle,
            AllowClientToClient = AllowClientToClient,
            LoadBalancing = mode == LoadBalancingSettings.Off && string.IsNullOrWhiteSpace(LoadBalancingThresholdPercent)
                ? null
                : new LoadBalancingSettings(mode, threshold ?? LoadBalancingSettings.DefaultThresholdPercent),
            GroupPolicies = policies.Count == 0 ? null : policies,
        };
    }

    /// <summary>
    /// The form's field of the API's <paramref name="path"/>: the input leaves out removed and empty
    /// group policy rows, so the API's "groupPolicies[1].group" may be the form's row 2.
    /// </summary>
    public string FieldOf(string path) => FieldErrors.RowPath(path, "groupPolicies", KeptGroupPolicyRows());

    private List<int> KeptGroupPolicyRows() => [.. Enumerable.Range(0, GroupPolicies.Count).Where(row => !GroupPolicies[row].Remove && !GroupPolicies[row].IsBlank)];

    /// <summary>One entry per non-empty line, trimmed.</summary>
    public static List<string> List(string? text) =>
        [.. (text ?? string.Empty).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    public static string Lines(IEnumerable<string> items) => string.Join('\n', items);

    /// <summary>Null for an empty field.</summary>
    public static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>A whole number, null for an empty field; other text is an error of <paramref name="field"/>.</summary>
    public static int? Number(FieldErrors errors, string field, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int value))
        {
            return value;
        }

        errors.Add(field, $"'{text.Trim()}' is not a whole number.");
        return null;
    }
}

/// <summary>One group policy of the server configuration form; lists one entry per line.</summary>
public sealed class GroupPolicyForm
{
    public string? Group { get; set; }

    public string? IncludeRoutes { get; set; }

    public string? ExcludeRoutes { get; set; }

    public bool ReplaceRoutes { get; set; }

    public string? DnsServers { get; set; }

    public string? DnsSuffix { get; set; }

    /// <summary>Ticked: the policy is left out when the form is saved.</summary>
    public bool Remove { get; set; }

    /// <summary>Nothing typed: the row where a new policy would go, not sent.</summary>
    public bool IsBlank =>
        string.IsNullOrWhiteSpace(Group) && string.IsNullOrWhiteSpace(IncludeRoutes) && string.IsNullOrWhiteSpace(ExcludeRoutes)
        && string.IsNullOrWhiteSpace(DnsServers) && string.IsNullOrWhiteSpace(DnsSuffix) && !ReplaceRoutes;

    public static GroupPolicyForm From(GroupPolicySettings policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new GroupPolicyForm
        {
            Group = policy.Group,
            IncludeRoutes = ConfigurationForm.Lines(policy.IncludeRoutes ?? []),
            ExcludeRoutes = ConfigurationForm.Lines(policy.ExcludeRoutes ?? []),
            ReplaceRoutes = policy.ReplaceRoutes,
            DnsServers = ConfigurationForm.Lines(policy.DnsServers ?? []),
            DnsSuffix = policy.DnsSuffix,
        };
    }

    /// <summary>The rows as posted ("Form.GroupPolicies[0].Group" and so on), for validation while typing.</summary>
    public static List<GroupPolicyForm> From(IFormCollection posted)
    {
        ArgumentNullException.ThrowIfNull(posted);
        var rows = new List<GroupPolicyForm>();
        for (int row = 0; posted.ContainsKey(Name(row, nameof(Group))); row++)
        {
            rows.Add(new GroupPolicyForm
            {
                Group = posted[Name(row, nameof(Group))],
                IncludeRoutes = posted[Name(row, nameof(IncludeRoutes))],
                ExcludeRoutes = posted[Name(row, nameof(ExcludeRoutes))],
                ReplaceRoutes = posted[Name(row, nameof(ReplaceRoutes))] == "true",
                DnsServers = posted[Name(row, nameof(DnsServers))],
                DnsSuffix = posted[Name(row, nameof(DnsSuffix))],
                Remove = posted[Name(row, nameof(Remove))] == "true",
            });
        }

        return rows;
    }

    /// <summary>The posted name of <paramref name="property"/> of row <paramref name="row"/>, as the page's form names it.</summary>
    public static string Name(int row, string property) => string.Create(CultureInfo.InvariantCulture, $"Form.GroupPolicies[{row}].{property}");

    /// <summary>The API's group policy; empty lists are left out, as the API shows a policy that has none.</summary>
    public GroupPolicySettings ToSettings() =>
        new(
            Group?.Trim() ?? string.Empty,
            Optional(ConfigurationForm.List(IncludeRoutes)),
            Optional(ConfigurationForm.List(ExcludeRoutes)),
            ReplaceRoutes,
            Optional(ConfigurationForm.List(DnsServers)),
            ConfigurationForm.Blank(DnsSuffix));

    private static List<string>? Optional(List<string> list) => list.Count == 0 ? null : list;
}
