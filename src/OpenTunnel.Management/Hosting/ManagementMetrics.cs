using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore.Diagnostics;
using OpenTunnel.Management.Agents;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// The management service's own instruments under <see cref="MeterName"/> (the requests by route
/// and status are ASP.NET Core's <c>http.server.request.duration</c>, the identity provider's
/// tokens are <c>OpenTunnel.Identity</c>'s). The long polls waiting are read from the
/// <see cref="ChangeFeed"/> at scrape time, the end of the agents' CA from <see cref="InternalCertificateAuthority"/>. The meter comes from the host's <see cref="IMeterFactory"/>,
/// which owns and disposes it.
/// </summary>
public sealed class ManagementMetrics
{
    public const string MeterName = "OpenTunnel.Management";

    private readonly Histogram<double> _database;
    private readonly Counter<long> _decisions;

    /// <param name="meters">The host's meter factory.</param>
    /// <param name="feed">The agents' change feed (its waiting polls).</param>
    /// <param name="services">Gives the agents' CA at scrape time, not here: on PostgreSQL the CA is loaded from the database, whose commands these metrics time.</param>
    public ManagementMetrics(IMeterFactory meters, ChangeFeed feed, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(feed);
        ArgumentNullException.ThrowIfNull(services);
        Meter meter = meters.Create(MeterName);
        _database = meter.CreateHistogram<double>("opentunnel.management.database.duration", unit: "s", description: "Database commands by kind (reader, non_query, scalar) and result (ok, error)");
        _decisions = meter.CreateCounter<long>("opentunnel.management.conditional_access.decisions", description: "Conditional-access decisions taken for gateway token requests, by result (allowed, denied)");
        meter.CreateObservableGauge("opentunnel.management.agent.long_polls", () => feed.Waiting, description: "Agent polls waiting for a change");
        meter.CreateObservableGauge(
            "opentunnel.management.agent_ca.not_after",
            () => new DateTimeOffset(services.GetRequiredService<InternalCertificateAuthority>().Certificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(),
            unit: "s",
            description: "End of validity of the agents' internal CA, in seconds since 1970-01-01");
    }

    public void ConditionalAccessDecision(bool allowed) =>
        _decisions.Add(1, new KeyValuePair<string, object?>("result", allowed ? "allowed" : "denied"));

    public void DatabaseCommand(string kind, TimeSpan duration, bool succeeded) =>
        _database.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("result", succeeded ? "ok" : "error"));
}

/// <summary>Times every database command of the service's contexts for <see cref="ManagementMetrics"/>.</summary>
internal sealed class DatabaseTiming(ManagementMetrics metrics) : DbCommandInterceptor
{
    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Record("reader", eventData);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Record("reader", eventData);
        return ValueTask.FromResult(result);
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Record("non_query", eventData);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Record("non_query", eventData);
        return ValueTask.FromResult(result);
    }

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        Record("scalar", eventData);
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        Record("scalar", eventData);
        return ValueTask.FromResult(result);
    }

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        metrics.DatabaseCommand(Kind(eventData.ExecuteMethod), eventData.Duration, false);
    }

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        CommandFailed(command, eventData);
        return Task.CompletedTask;
    }

    private void Record(string kind, CommandExecutedEventData eventData)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        metrics.DatabaseCommand(kind, eventData.Duration, true);
    }

    private static string Kind(DbCommandMethod method) => method switch
    {
        DbCommandMethod.ExecuteReader => "reader",
        DbCommandMethod.ExecuteScalar => "scalar",
        _ => "non_query",
    };
}
