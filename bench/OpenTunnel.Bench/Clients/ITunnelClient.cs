namespace OpenTunnel.Bench.Clients;

/// <summary>A VPN client the benchmark runs in the client namespace: openconnect, or OpenTunnel's own client.</summary>
internal interface ITunnelClient : IDisposable
{
    /// <summary>What the client printed so far, for error messages and the cipher-suite notes.</summary>
    string Output { get; }

    /// <summary>True once the TUN device, its address and the split routes are in place.</summary>
    bool TunnelConfigured { get; }

    /// <summary>True once the packets go over DTLS.</summary>
    bool DtlsUp { get; }

    /// <summary>True when the server offered no DTLS.</summary>
    bool DtlsNotOffered { get; }

    bool HasExited { get; }

    /// <summary>The client's process: its CPU time is the client's CPU figure.</summary>
    int ProcessId { get; }

    /// <summary>
    /// Waits until the tunnel is configured and, with <paramref name="requireDtls"/>, DTLS is up;
    /// false when DTLS was required but the server offered none. Throws with the client's output
    /// when it exits or the time runs out.
    /// </summary>
    Task<bool> WaitUntilReadyAsync(bool requireDtls, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Stops the client as a user would (it says goodbye to the server), by PID; SIGKILL after 10 s.</summary>
    Task StopAsync();
}
