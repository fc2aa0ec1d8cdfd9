using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// Which requests each port serves. The agents' mutual-TLS port answers only the agent routes
/// (<c>/agent/v1/...</c>) and enrolment; the administrators' API, the identity provider, the
/// OpenAPI document and everything else answer 404 there, so the port agents must reach (often
/// from every gateway network) exposes nothing else. Conversely the agent routes answer 404 on
/// every other port: they need the client certificate only the agent endpoint asks for.
/// Enrolment is served on both (its token is the credential), so agents can enrol when the agent
/// endpoint is behind another name or off.
/// The decision is made on the endpoint routing matched, before authentication, so a path
/// written differently (case, a trailing slash) is judged like the route it reaches, and requests
/// the identity provider would answer from its own middleware (no endpoint) are refused too.
/// </summary>
public static class AgentEndpointScope
{
    /// <summary>Marks routes of the agent endpoint: <see cref="OnlyThere"/> for the agent routes, not for enrolment.</summary>
    public sealed class Route(bool onlyThere)
    {
        public bool OnlyThere { get; } = onlyThere;
    }

    /// <summary>The route is served only on the agent endpoint.</summary>
    public static TBuilder OnlyOnAgentEndpoint<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new Route(onlyThere: true));

    /// <summary>The route is served on the agent endpoint as well as on the other ports.</summary>
    public static TBuilder AlsoOnAgentEndpoint<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new Route(onlyThere: false));

    /// <summary>Refuses with 404 what the port the request came in on does not serve; after routing, before authentication.</summary>
    public static IApplicationBuilder UseAgentEndpointScope(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            bool onAgentEndpoint = context.Features.Get<AgentEndpointConnection>() is not null;
            Route? route = context.GetEndpoint()?.Metadata.GetMetadata<Route>();
            bool served = onAgentEndpoint ? route is not null : route is not { OnlyThere: true };
            if (served)
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });

    /// <summary>Marks every connection of <paramref name="listen"/> as one of the agent endpoint.</summary>
    internal static void Mark(ListenOptions listen) =>
        listen.Use(next => connection =>
        {
            connection.Features.Set(AgentEndpointConnection.Instance);
            return next(connection);
        });

    /// <summary>The feature that says a connection came in on the agent endpoint (HTTP requests see their connection's features).</summary>
    private sealed class AgentEndpointConnection
    {
        public static readonly AgentEndpointConnection Instance = new();
    }
}
