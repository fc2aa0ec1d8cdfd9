using Microsoft.AspNetCore.Http.HttpResults;
using OpenTunnel.Management.Api.Resources;
using OpenTunnel.Management.Auth;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Api;

/// <summary>The key itself, shown only in the answer to its creation.</summary>
public sealed record CreatedApiKey(ApiKey ApiKey, string Key);

/// <summary>POST /api/v1/api-keys: creates a key and answers with it once; only its hash is kept.</summary>
public static class ApiKeyEndpoints
{
    public static void MapApiKeyCreation(this RouteGroupBuilder apiKeys)
    {
        ArgumentNullException.ThrowIfNull(apiKeys);
        var resource = new ApiKeys();
        apiKeys.MapPost("", async Task<Results<Created<CreatedApiKey>, ValidationProblem, ProblemHttpResult>> (
                ApiKeyInput input, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct) =>
            {
                DateTime now = clock.GetUtcNow().UtcDateTime;
                string secret = ApiKeySecret.NewApiKey();
                var key = new ApiKey { Id = Guid.NewGuid(), CreatedAt = now, UpdatedAt = now, KeyHash = ApiKeySecret.Hash(secret) };
                resource.Apply(input, key);
                var errors = resource.Validate(key);
                if (!errors.IsValid)
                {
                    return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The API key is not valid.");
                }

                db.ApiKeys.Add(key);
                AuditTrail.Record(db, AuditTrail.ActorOf(http.User), AuditAction.Created, key, key.Id, null, AuditTrail.Snapshot(key), now);
                if (await ResourceEndpoints.SaveAsync(db, resource.Noun, ct) is ProblemHttpResult problem)
                {
                    return problem;
                }

                EntityTag.Set(http.Response, key);
                return TypedResults.Created($"/api/v1/api-keys/{key.Id}", new CreatedApiKey(key, secret));
            })
            .WithName("CreateApiKey")
            .RequireAuthorization(AuthorizationSetup.WritePolicy);
    }
}
