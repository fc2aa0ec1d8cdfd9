using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// Kestrel ignores the "urls" setting (--urls, ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS) as soon
/// as one endpoint is added in code ("Overriding address(es)"). The agent endpoint is added in
/// code, so the addresses the operator gave are bound here the way Kestrel would have bound them.
/// Endpoints in the Kestrel:Endpoints section replace the urls in Kestrel too, and are left alone.
/// </summary>
internal static class HostingUrls
{
    public const string DefaultUrl = "http://localhost:5000";

    public static void Bind(IConfiguration configuration, KestrelServerOptions kestrel)
    {
        if (configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            return;
        }

        foreach (string url in Urls(configuration))
        {
            BindingAddress address = BindingAddress.Parse(url);
            Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> configure = listen =>
            {
                if (string.Equals(address.Scheme, "https", StringComparison.OrdinalIgnoreCase))
                {
                    listen.UseHttps();
                }
            };
            if (address.IsUnixPipe)
            {
                kestrel.ListenUnixSocket(address.UnixPipePath, configure);
            }
            else if (string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                kestrel.ListenLocalhost(address.Port, configure);
            }
            else if (IPAddress.TryParse(address.Host.Trim('[', ']'), out IPAddress? ip))
            {
                kestrel.Listen(ip, address.Port, configure);
            }
            else
            {
                // "*", "+" or a host name: every address, as Kestrel does.
                kestrel.ListenAnyIP(address.Port, configure);
            }
        }
    }

    private static List<string> Urls(IConfiguration configuration)
    {
        var urls = new List<string>();
        if (configuration["urls"] is { Length: > 0 } list)
        {
            urls.AddRange(list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            return urls;
        }

        AddPorts(urls, configuration["http_ports"], "http");
        AddPorts(urls, configuration["https_ports"], "https");
        if (urls.Count == 0)
        {
            urls.Add(DefaultUrl);
        }

        return urls;
    }

    private static void AddPorts(List<string> urls, string? ports, string scheme)
    {
        foreach (string port in (ports ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            urls.Add(string.Create(CultureInfo.InvariantCulture, $"{scheme}://*:{port}"));
        }
    }
}
