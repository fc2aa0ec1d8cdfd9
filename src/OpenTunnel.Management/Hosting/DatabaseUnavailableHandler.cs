using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// Answers a request that failed because the database cannot be reached for now (PostgreSQL
/// restarting or down, a connection ended by the server, a SQLite file busy) with 503, a
/// <c>Retry-After</c> and a problem that says so, instead of a bare 500. The service keeps
/// running: the database provider opens new connections once the server is back, so the next
/// request succeeds without a restart (docs/reliability.md).
/// </summary>
internal sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a client is asked to wait before it tries again.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>SQLITE_BUSY and SQLITE_LOCKED: another connection or process holds the lock (https://www.sqlite.org/rescode.html).</summary>
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    /// <summary>
    /// The transient database error in <paramref name="exception"/> or its inner exceptions (EF Core
    /// wraps the provider's), or null. For Npgsql the provider decides (a broken or refused
    /// connection, the server's shutdown and overload codes); for SQLite a file locked by another
    /// process past the busy timeout, which Microsoft.Data.Sqlite does not mark transient.
    /// </summary>
    public static DbException? TransientCause(Exception? exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException { IsTransient: true } or SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked })
            {
                return (DbException)e;
            }
        }

        return null;
    }

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (TransientCause(exception) is not { } cause)
        {
            return false;
        }

        LogUnavailable(logger, httpContext.Request.Method, httpContext.Request.Path, cause.Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is unavailable.",
                Detail = $"The management service cannot reach its database now. Try again in {RetryAfterSeconds} seconds.",
            },
            Exception = exception,
        });
    }

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Answered {Method} {Path} with 503: the database is unavailable ({Reason}).")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, string reason);
}
