namespace OpenTunnel.Bench.Servers;

/// <summary>How a client signs in to a server: what openconnect, OpenTunnel's own client and the load generator are given.</summary>
/// <param name="OpenConnectArguments">Arguments for openconnect (for example --user and --passwd-on-stdin).</param>
/// <param name="OpenConnectInput">What openconnect reads on stdin, or null.</param>
/// <param name="LoadArguments">Arguments for the load generator (--auth and the secret's file).</param>
/// <param name="NativeArguments">Arguments for <c>opentunnel connect</c> (--token-file, or --user and --password-file).</param>
internal sealed record ClientCredentials(IReadOnlyList<string> OpenConnectArguments, string? OpenConnectInput, IReadOnlyList<string> LoadArguments, IReadOnlyList<string> NativeArguments);

/// <summary>What a server under test must be told: the pool and the session limit it runs with.</summary>
/// <param name="PoolNetwork">The address pool, e.g. 198.18.128.0.</param>
/// <param name="PoolPrefixLength">The pool's prefix length (24 for the openconnect phases, 17 for the session scale).</param>
/// <param name="MaxSessions">Sessions the server must accept at once.</param>
internal sealed record ServerSettings(string PoolNetwork, int PoolPrefixLength, int MaxSessions);

/// <summary>A VPN gateway the benchmark starts in the gateway namespace, measures, and stops.</summary>
internal interface IVpnServer
{
    /// <summary>The name used in tables and JSON: "opentunnel" or "ocserv".</summary>
    string Name { get; }

    /// <summary>The sign-in every client of this server uses.</summary>
    ClientCredentials Credentials { get; }

    /// <summary>What the running (or last) server process printed, for error messages.</summary>
    string Output { get; }

    /// <summary>Starts the server with <paramref name="settings"/> and returns once it listens on TCP and UDP.</summary>
    Task StartAsync(ServerSettings settings, CancellationToken cancellationToken);

    /// <summary>Stops the server by PID and waits until none of its processes is left.</summary>
    Task StopAsync();
}
