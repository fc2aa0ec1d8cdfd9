using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using OpenTunnel.Management.Auth;
using Scalar.AspNetCore;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// The OpenAPI document at /openapi/v1.json: how to sign in (API key or bearer JWT), and query
/// parameter names as clients send them (camelCase, like the JSON bodies); and the API reference
/// page made from it at <see cref="ReferencePath"/>.
/// </summary>
internal static class OpenApiSetup
{
    public const string ReferencePath = "/scalar";

    /// <summary>
    /// Scalar's reference page and its script, served by this service (nothing from a CDN: no
    /// web fonts, no telemetry), anonymous like the document it reads. Mapped as routes, so the
    /// agent endpoint's port does not serve them, as it does not serve the document.
    /// </summary>
    public static void MapApiReference(this IEndpointRouteBuilder app) =>
        app.MapScalarApiReference(ReferencePath, o => o
            .WithTitle("OpenTunnel management API")
            .AddPreferredSecuritySchemes(ApiKeyAuthenticationHandler.SchemeName)
            .DisableDefaultFonts()
            .DisableTelemetry());

    public static IServiceCollection AddManagementOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer(DescribeSignIn);
            o.AddOperationTransformer(CamelCaseQueryParameters);
            o.AddOperationTransformer(MarkAnonymous);
        });

    private static Task DescribeSignIn(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ApiKeyAuthenticationHandler.SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyAuthenticationHandler.HeaderName,
            Description = "An API key (also accepted as 'Authorization: ApiKey KEY').",
        };
        document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "An administrator token from Management:AdminTokens:Authority with role read-only or full-admin.",
        };
        document.Security =
        [
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, document)] = [] },
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", document)] = [] },
        ];
        return Task.CompletedTask;
    }

    /// <summary>Enrolment needs no administrator (its token is the credential): say so instead of the document-wide sign-in.</summary>
    private static Task MarkAnonymous(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security = [];
        }

        return Task.CompletedTask;
    }

    private static Task CamelCaseQueryParameters(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (IOpenApiParameter parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter { In: ParameterLocation.Query, Name: { Length: > 0 } name } query)
            {
                query.Name = JsonNamingPolicy.CamelCase.ConvertName(name);
            }
        }

        return Task.CompletedTask;
    }
}
