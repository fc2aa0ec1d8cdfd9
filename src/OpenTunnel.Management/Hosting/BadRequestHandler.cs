using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// Answers a body that cannot be read (bad JSON, a wrong type, an unknown enum name) with a
/// 400 validation problem that names the field, like every other validation error.
/// </summary>
internal sealed partial class BadRequestHandler(IProblemDetailsService problems, ILogger<BadRequestHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        string field = "body";
        string message = bad.Message;
        if (bad.InnerException is JsonException json)
        {
            // System.Text.Json names the place as a JSON path ("$.port", "$.dnsServers[2]").
            field = json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : field;
            message = $"has a value of the wrong type or format ({json.Message.Split(" Path:", 2)[0]})";
        }

        LogBadRequest(logger, httpContext.Request.Method, httpContext.Request.Path, field, message);
        httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new ValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request could not be read.",
            },
            Exception = exception,
        });
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Refused {Method} {Path}: {Field} {Message}")]
    private static partial void LogBadRequest(ILogger logger, string method, string path, string field, string message);
}
