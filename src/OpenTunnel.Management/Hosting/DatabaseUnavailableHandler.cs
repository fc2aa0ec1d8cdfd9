using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// Answers a request that failed because the database cannot be used for now (PostgreSQL
/// restarting or down, a connection ended by the server, a SQLite file busy, read-only or on a
/// full disk) with 503, a <c>Retry-After</c> and a problem that names the cause, instead of a bare
/// 500. The service keeps running: the database provider opens new connections once the server
/// or file is back, so the next request succeeds without a restart (docs/reliability.md).
/// </summary>
internal sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a client is asked to wait before it tries again.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>SQLite's primary result codes this handler knows (https://www.sqlite.org/rescode.html).</summary>
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoError = 10;
    private const int SqliteFull = 13;
    private const int SqliteCannotOpen = 14;

    /// <summary>
    /// The database error in <paramref name="exception"/> or its inner exceptions (EF Core wraps the
    /// provider's) that a later request can succeed past, or null. For Npgsql the provider decides
    /// (a broken or refused connection, the server's shutdown and overload codes); for SQLite a file
    /// locked by another process past the busy timeout, a read-only file or folder, a full disk or
    /// an I/O error, which Microsoft.Data.Sqlite does not mark transient.
    /// </summary>
    public static DbException? TransientCause(Exception? exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException error && Cause(error) is not null)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>
    /// What is wrong with the database, for the problem's <c>cause</c> member and its detail: a
    /// short token and a sentence. Null for an error a retry cannot get past (a constraint, a bug).
    /// </summary>
    public static (string Cause, string Sentence)? Cause(DbException error) => error switch
    {
        SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked } => ("locked", "The database file is locked by another process."),
        SqliteException { SqliteErrorCode: SqliteReadOnly } => ("read-only", "The database file is read-only."),
        SqliteException { SqliteErrorCode: SqliteCannotOpen } => ("read-only", "The database file or its folder cannot be written (a read-only file system or missing permission)."),
        SqliteException { SqliteErrorCode: SqliteFull } => ("disk-full", "The disk holding the database file is full."),
        SqliteException { SqliteErrorCode: SqliteIoError } => ("io-error", "The database file cannot be read or written (an I/O error)."),
        SqliteException => null,
        { IsTransient: true } => ("unreachable", "The database server cannot be reached."),
        _ => null,
    };

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (TransientCause(exception) is not { } error || Cause(error) is not var (cause, sentence))
        {
            return false;
        }

        LogUnavailable(logger, httpContext.Request.Method, httpContext.Request.Path, cause, error.Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is unavailable.",
                Detail = $"{sentence} Try again in {RetryAfterSeconds} seconds.",
                Extensions = { ["cause"] = cause },
            },
            Exception = exception,
        });
    }

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Answered {Method} {Path} with 503: the database is unavailable, {Cause} ({Reason}).")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, string cause, string reason);
}
