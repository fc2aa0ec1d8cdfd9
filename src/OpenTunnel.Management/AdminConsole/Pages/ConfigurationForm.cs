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
        };
    }

    /// <summary>
    /// The API's input; a number field that is not a whole number is named in <paramref name="errors"/>
    /// and left out of the input (so the other fields can still be checked), and must not be saved.
    /// </summary>
    public ServerConfigurationInput ToInput(FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        int? port = Number(errors, "port", Port);
        int? session = Number(errors, "sessionTimeoutMinutes", SessionTimeoutMinutes);
        int? idle = Number(errors, "idleTimeoutMinutes", IdleTimeoutMinutes);
        return new ServerConfigurationInput(
            Name?.Trim(),
            Blank(Description),
            Blank(Ipv4Range),
            Blank(Ipv6Range),
            List(DnsServers),
            List(DnsSuffixes),
            List(SplitDnsDomains),
            List(IncludeRoutes),
            List(ExcludeRoutes),
            port,
            UdpDisabled,
            session,
            idle,
            AllowClientToClient);
    }

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
