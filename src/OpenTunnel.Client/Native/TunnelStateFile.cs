using System.Text.Json;
using OpenTunnel.Client.HostNetwork;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Client.Native;

/// <summary>
/// What a running tunnel changed on the host, written before each change, so that the next start
/// can undo what a killed client (kill -9, a crash, a power cut of the process) left: the routes
/// outside the TUN device (which do not vanish with it), and /etc/resolv.conf with the exact bytes
/// it had before.
/// </summary>
public sealed record TunnelState
{
    public required int ProcessId { get; init; }

    public required string Gateway { get; init; }

    public string? TunDevice { get; init; }

    /// <summary>Routes through other devices (the gateway's own, split-excludes): <c>ip route del</c> arguments.</summary>
    public IReadOnlyList<IReadOnlyList<string>> OutsideRoutes { get; init; } = [];

    /// <summary>The file the client rewrote, and its content before (base64, byte for byte).</summary>
    public string? ResolvConfPath { get; init; }

    public string? ResolvConfOriginal { get; init; }

    /// <summary>The addresses the tunnel had, for the status verb and a reconnect.</summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    public DateTimeOffset Since { get; init; }

    /// <summary>The path the tunnel's packets take: <c>TLS</c> or <c>DTLS</c>.</summary>
    public string Channel { get; init; } = "TLS";

    /// <summary>Since when the packets take <see cref="Channel"/>.</summary>
    public DateTimeOffset ChannelSince { get; init; }

    /// <summary>IP bytes sent through the tunnel (both channels) at <see cref="UpdatedAt"/>.</summary>
    public long BytesSent { get; init; }

    /// <summary>IP bytes received through the tunnel (both channels) at <see cref="UpdatedAt"/>.</summary>
    public long BytesReceived { get; init; }

    /// <summary>When the channel and the byte counts were written (every <c>NativeEngine.StateInterval</c>, and at once when the channel changes).</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>The state file <c>tunnel.json</c> in the client's state directory (mode 0600, written whole).</summary>
public sealed class TunnelStateFile(string path)
{
    public string Path { get; } = path;

    public TunnelState? Load()
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(Path), TunnelStateJson.Default.TunnelState);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (JsonException e)
        {
            throw new IOException($"{Path} is not a tunnel state file ({e.Message}); delete it after checking /etc/resolv.conf and the routes by hand.", e);
        }
    }

    public void Save(TunnelState state) => OwnerOnlyFiles.WriteAtomically(Path, JsonSerializer.Serialize(state, TunnelStateJson.Default.TunnelState));

    public void Delete() => File.Delete(Path);

    /// <summary>
    /// Undoes what an earlier run that did not end cleanly left. False when that run is still
    /// alive: two of them would fight over the routes and resolv.conf.
    /// </summary>
    public bool Repair(TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        TunnelState? left = Load();
        if (left is null)
        {
            return true;
        }

        if (left.ProcessId != Environment.ProcessId && Directory.Exists($"/proc/{left.ProcessId}"))
        {
            progress.WriteLine($"Another opentunnel process (PID {left.ProcessId}, to {left.Gateway}) holds {Path}: stop it first (kill {left.ProcessId}).");
            return false;
        }

        Undo(left);
        Delete();
        progress.WriteLine($"Repaired what an earlier connect (PID {left.ProcessId}) left: {(left.ResolvConfPath is null ? string.Empty : left.ResolvConfPath + " restored, ")}{left.OutsideRoutes.Count} route(s) removed.");
        return true;
    }

    /// <summary>
    /// Undoes what <paramref name="state"/> records: resolv.conf back to its bytes, the outside
    /// routes deleted. Each step is safe to repeat. The TUN device and its routes are not touched:
    /// they vanish with the process that held the device, and the name may already be another's.
    /// </summary>
    public static void Undo(TunnelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.ResolvConfPath is not null && state.ResolvConfOriginal is not null)
        {
            // Written in place, not renamed over: the file may be a bind mount (ip netns exec, containers).
            File.WriteAllBytes(state.ResolvConfPath, Convert.FromBase64String(state.ResolvConfOriginal));
        }

        foreach (var route in state.OutsideRoutes)
        {
            HostCommands.IpQuietly(route);
        }
    }
}
