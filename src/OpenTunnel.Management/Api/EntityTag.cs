using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Api;

/// <summary>
/// ETags are the object's version, quoted ("7"). Writes must send it back in If-Match
/// (RFC 9110 §13.1.1); a write without one gets 428 (RFC 6585), a stale one 412.
/// </summary>
public static class EntityTag
{
    public static string Of(ManagedObject item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return Of(item.Version);
    }

    /// <summary>The ETag of version <paramref name="version"/>.</summary>
    public static string Of(long version) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\"{version}\"");

    public static void Set(HttpResponse response, ManagedObject item)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.ETag = Of(item);
    }

    /// <summary>Null when If-Match names the current version; else the problem to answer.</summary>
    public static ProblemHttpResult? CheckIfMatch(HttpRequest request, ManagedObject current, string noun)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CheckIfMatch(request.Headers.IfMatch, current, noun);
    }

    /// <summary>The same check for an If-Match value that came another way (the console's form carries it).</summary>
    public static ProblemHttpResult? CheckIfMatch(string? ifMatch, ManagedObject current, string noun)
    {
        if (string.IsNullOrWhiteSpace(ifMatch))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status428PreconditionRequired,
                title: "If-Match is required.",
                detail: $"Send If-Match with the ETag of your last read of this {noun} (it is {Of(current)} now).");
        }

        if (!EntityTagHeaderValue.TryParseList([ifMatch], out IList<EntityTagHeaderValue>? tags))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "If-Match is not an entity tag.",
                detail: $"If-Match '{ifMatch}' is not a quoted entity tag such as {Of(current)}.");
        }

        string expected = Of(current);
        foreach (EntityTagHeaderValue tag in tags)
        {
            if (!tag.IsWeak && tag.Tag.Value == expected)
            {
                return null;
            }
        }

        return TypedResults.Problem(
            statusCode: StatusCodes.Status412PreconditionFailed,
            title: "The object changed since it was read.",
            detail: $"This {noun} is at {expected}, not {ifMatch}: read it again, then retry the change.");
    }
}
