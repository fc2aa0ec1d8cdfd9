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
    public const string DefaultUrl = "https://localhost:5001";

    /// <summary>
    /// Binds the operator's addresses, each https one with <paramref name="useHttps"/>. A plain
    /// http address is refused unless it is on loopback (or a Unix socket) and
    /// <paramref name="allowLoopbackHttp"/> is set; the Kestrel:Endpoints section is checked the same way.
    /// </summary>
    /// <exception cref="InvalidOperationException">A plain http address that is not allowed; the message names it and the setting.</exception>
    public static void Bind(IConfiguration configuration, KestrelServerOptions kestrel, Action<ListenOptions> useHttps, bool allowLoopbackHttp)
    {
        List<IConfigurationSection> endpoints = [.. configuration.GetSection("Kestrel:Endpoints").GetChildren()];
        foreach (IConfigurationSection endpoint in endpoints)
        {
            if (endpoint["Url"] is { } url)
            {
                RefuseInsecure(BindingAddress.Parse(url), url, allowLoopbackHttp);
            }
        }

        if (endpoints.Count > 0)
        {
            return;
        }

        foreach (string url in Urls(configuration))
        {
            BindingAddress address = BindingAddress.Parse(url);
            RefuseInsecure(address, url, allowLoopbackHttp);
            Action<ListenOptions> configure = listen =>
            {
                if (string.Equals(address.Scheme, "https", StringComparison.OrdinalIgnoreCase))
                {
                    useHttps(listen);
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

    /// <summary>Plain http only on loopback or a Unix socket, and only when Management:Https:AllowLoopbackHttp says so.</summary>
    private static void RefuseInsecure(BindingAddress address, string url, bool allowLoopbackHttp)
    {
        if (!string.Equals(address.Scheme, "http", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        bool loopback = address.IsUnixPipe
            || string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(address.Host.Trim('[', ']'), out IPAddress? ip) && IPAddress.IsLoopback(ip));
        if (!loopback)
        {
            throw new InvalidOperationException($"Refusing to listen on {url}: plain http is served only on loopback (127.0.0.1, [::1], localhost) or a Unix socket. Use https://{address.Host}:{address.Port} (docs/management.md#https).");
        }

        if (!allowLoopbackHttp)
        {
            throw new InvalidOperationException($"Refusing to listen on {url}: plain http, even on loopback, needs Management:Https:AllowLoopbackHttp=true (for a TLS-terminating proxy on this machine). Use https:// otherwise (docs/management.md#https).");
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
