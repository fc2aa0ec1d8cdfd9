using System.Globalization;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Reliability;

/// <summary>
/// A PostgreSQL cluster of the test's own (Debian's postgresql, as ./test.sh installs it): a fresh
/// cluster in a temporary folder on 127.0.0.1 and a free port, run as the postgres user, which the
/// test may stop and start under a running service. The shared server of OPENTUNNEL_TEST_POSTGRES is
/// never restarted: other tests use it. Dispose stops the cluster (immediate) and deletes the folder.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _bin;
    private readonly string _folder;
    private readonly int _port;

    private PostgresServer(string bin, string folder, int port)
    {
        _bin = bin;
        _folder = folder;
        _port = port;
    }

    /// <summary>The connection string of the superuser to the postgres database.</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres");

    private string DataFolder => Path.Combine(_folder, "data");

    public static PostgresServer Start()
    {
        Prerequisites.RequireRootAndCommands("runuser", "chown");
        string bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "pg_ctl"))).OrderBy(b => b, StringComparer.Ordinal).LastOrDefault() ?? ""
            : "";
        if (bin.Length == 0)
        {
            throw new PrerequisiteMissingException("This test needs a PostgreSQL server of its own: apt-get install postgresql (the README's test command installs it).");
        }

        string folder = Directory.CreateTempSubdirectory("opentunnel-pg-").FullName;
        var server = new PostgresServer(bin, folder, LoopbackPorts.Free());
        try
        {
            Command.Run("chown", "postgres", folder).EnsureSuccess();
            server.AsPostgres("initdb", ["-D", server.DataFolder, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
            server.StartServer();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Stops the server as <c>systemctl restart postgresql</c> does (fast: sessions are ended, connections refused).</summary>
    public void Stop() => AsPostgres("pg_ctl", ["-D", DataFolder, "-m", "fast", "-w", "stop"]);

    /// <summary>Starts it again on the same folder and port and waits until it accepts connections.</summary>
    public void StartServer() => AsPostgres("pg_ctl",
    [
        "-D", DataFolder, "-l", Path.Combine(_folder, "server.log"), "-w", "-o",
        string.Create(CultureInfo.InvariantCulture, $"-c listen_addresses=127.0.0.1 -p {_port} -k {_folder} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"),
        "start",
    ]);

    public void Dispose()
    {
        if (File.Exists(Path.Combine(DataFolder, "postmaster.pid")))
        {
            Command.Run("runuser", ["-u", "postgres", "--", Path.Combine(_bin, "pg_ctl"), "-D", DataFolder, "-m", "immediate", "stop"], Timeout);
        }

        Directory.Delete(_folder, recursive: true);
    }

    private void AsPostgres(string program, IReadOnlyList<string> arguments) =>
        Command.Run("runuser", ["-u", "postgres", "--", Path.Combine(_bin, program), .. arguments], Timeout).EnsureSuccess();
}
