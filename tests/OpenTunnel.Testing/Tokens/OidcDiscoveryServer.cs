using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpenTunnel.Testing.Tokens;

/// <summary>
/// An OIDC issuer's public face for tests: Kestrel on 127.0.0.1 (a free port) serving
/// <c>/.well-known/openid-configuration</c> (issuer = <see cref="Issuer"/>, <c>jwks_uri</c>) and the
/// JWKS set with <see cref="SetKeys"/>, counting the requests so a test can see when a validator
/// fetched the keys again (key rotation, refresh limits).
/// </summary>
public sealed class OidcDiscoveryServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile string _jwks = """{"keys":[]}""";
    private int _metadataRequests;
    private int _jwksRequests;

    private OidcDiscoveryServer(WebApplication app, string issuer)
    {
        _app = app;
        Issuer = issuer;
    }

    /// <summary>The issuer URL, <c>http://127.0.0.1:PORT</c>; tokens for this server carry it as <c>iss</c>.</summary>
    public string Issuer { get; }

    public string MetadataAddress => Issuer + "/.well-known/openid-configuration";

    public int MetadataRequests => Volatile.Read(ref _metadataRequests);

    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    /// <summary>While true, both documents answer 503, as an issuer in an outage does.</summary>
    public bool Failing { get; set; }

    /// <summary>Starts on <paramref name="port"/> of 127.0.0.1 (0: a free one; a given one brings an issuer back at its address).</summary>
    public static async Task<OidcDiscoveryServer> StartAsync(int port = 0)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        WebApplication app = builder.Build();
        OidcDiscoveryServer? server = null;
        app.MapGet("/.well-known/openid-configuration", (HttpContext context) =>
        {
            Interlocked.Increment(ref server!._metadataRequests);
            if (server.Failing)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            string document = new JsonObject { ["issuer"] = server.Issuer, ["jwks_uri"] = server.Issuer + "/jwks" }.ToJsonString();
            return Results.Text(document, "application/json");
        });
        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref server!._jwksRequests);
            if (server.Failing)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            return Results.Text(server._jwks, "application/json");
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new OidcDiscoveryServer(app, address.TrimEnd('/'));
        return server;
    }

    /// <summary>Serves the keys of all the given JWKS documents as one set from now on.</summary>
    public void SetKeys(params string[] jwksDocuments)
    {
        var keys = new JsonArray();
        foreach (string document in jwksDocuments)
        {
            foreach (JsonNode? key in JsonNode.Parse(document)!["keys"]!.AsArray())
            {
                keys.Add(key!.DeepClone());
            }
        }

        _jwks = new JsonObject { ["keys"] = keys }.ToJsonString();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
