using System.Text.Json;
using OpenTunnel.Client.Native;
using OpenTunnel.Client.Profiles;
using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel status [--json]</c>: what the state directory says, without asking any service:
/// the sign-in, the device, the running connection (its profile, gateway and the profile's proxy;
/// for the native engine its channel, addresses and bytes from <c>tunnel.json</c>) and the stored profiles;
/// a sign-in without a device (<c>signin --unenrolled</c>) says so.
/// </summary>
public static class StatusVerb
{
    /// <summary>The answer of <c>--json</c>.</summary>
    public sealed record Status(
        Uri? Server, string? Scope, Guid? DeviceId, string? Compliance, ConnectionState? Connection, NativeTunnel? Tunnel, DeviceProxy? Proxy, IReadOnlyDictionary<string, string> ProxyEnvironment, StoredProfiles? Profiles,
        bool Unenrolled);

    /// <summary>A running native engine's tunnel, as its <c>tunnel.json</c> last said.</summary>
    public sealed record NativeTunnel(
        int ProcessId, string Gateway, string? TunDevice, IReadOnlyList<string> Addresses, DateTimeOffset Since, string Channel, DateTimeOffset ChannelSince, long BytesSent, long BytesReceived, DateTimeOffset UpdatedAt);

    public static Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        SignInState? signIn = File.Exists(environment.State.SignInFile) ? environment.State.LoadSignIn() : null;
        EnrolledDevice? device = environment.State.FindDevice();
        StoredProfiles? profiles = environment.State.FindProfiles();

        ConnectionState? connection = environment.State.RunningConnection();
        DeviceProfile? profile = connection?.Profile is { } name ? profiles?.Find(name) : null;
        NativeTunnel? tunnel = RunningTunnel(environment);
        if (arguments.Has("json"))
        {
            var status = new Status(signIn?.Server, signIn?.Scope, device?.DeviceId, device?.ComplianceState, connection, tunnel, profile?.Proxy, ProxyEnvironment.For(profile?.Proxy), profiles, signIn?.Unenrolled == true);
            environment.Out.WriteLine(JsonSerializer.Serialize(status, CliJson.Default.Status));
            return Task.FromResult(ExitCodes.Success);
        }

        TextWriter output = environment.Out;
        output.WriteLine(signIn is null ? "Not signed in." : $"Signed in at {signIn.Server} (scope {signIn.Scope}, {signIn.SignedInAt:u}).");
        output.WriteLine(device is null ? "Device: not enrolled." : $"Device: {device.DeviceId} ({device.Name}), {device.ComplianceState} at the last report.");
        if (signIn?.Unenrolled == true)
        {
            output.WriteLine(SignInState.UnenrolledNote);
        }
        if (tunnel is not null)
        {
            string? withProfile = connection is { Profile: { } connectedProfile } && connection.ProcessId == tunnel.ProcessId ? connectedProfile : null;
            output.WriteLine($"Connected to {tunnel.Gateway}{(withProfile is null ? string.Empty : $" with profile {withProfile}")} (native engine, process {tunnel.ProcessId}) since {tunnel.Since:u}: {string.Join(", ", tunnel.Addresses)} on {tunnel.TunDevice}.");
            output.WriteLine($"Channel: {tunnel.Channel} since {tunnel.ChannelSince:u}; {tunnel.BytesSent} bytes sent, {tunnel.BytesReceived} received (at {tunnel.UpdatedAt:u}).");
            if (withProfile is not null)
            {
                output.WriteLine($"Proxy: {ProxyEnvironment.Describe(profile?.Proxy)}");
            }
        }
        else if (connection is null)
        {
            output.WriteLine("Not connected.");
        }
        else
        {
            output.WriteLine($"Connected to {connection.Gateway}{(connection.Profile is { } p ? $" with profile {p}" : string.Empty)} since {connection.Since:u} (process {connection.ProcessId}).");
            if (connection.Profile is not null)
            {
                output.WriteLine($"Proxy: {ProxyEnvironment.Describe(profile?.Proxy)}");
            }
        }

        if (profiles is not null)
        {
            output.WriteLine($"Profiles (fetched {profiles.FetchedAt:u}):");
            foreach (DeviceProfile stored in profiles.Profiles)
            {
                output.WriteLine("  " + ProfilesVerb.Describe(stored));
            }
        }

        return Task.FromResult(ExitCodes.Success);
    }

    /// <summary>The native engine's tunnel while its process runs; a file left by a killed one is not a tunnel (the next connect repairs it).</summary>
    private static NativeTunnel? RunningTunnel(ClientEnvironment environment)
    {
        TunnelState? state = new TunnelStateFile(environment.State.TunnelFile).Load();
        return state is null || !Directory.Exists($"/proc/{state.ProcessId}")
            ? null
            : new NativeTunnel(state.ProcessId, state.Gateway, state.TunDevice, state.Addresses, state.Since, state.Channel, state.ChannelSince, state.BytesSent, state.BytesReceived, state.UpdatedAt);
    }
}
