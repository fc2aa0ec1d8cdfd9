using System.ComponentModel;
using System.Diagnostics;

namespace OpenTunnel.Client.Posture;

/// <summary>
/// Reads the posture of this Linux machine: the thin edge around the parsers (<see cref="OsRelease"/>,
/// <see cref="MountInfo"/>, <see cref="DiskEncryption"/>, <see cref="NftablesFirewall"/>). What
/// cannot be read is reported as unknown with the reason, never guessed.
/// </summary>
public sealed class PostureCollector(PostureSources sources)
{
    private static readonly TimeSpan NftLimit = TimeSpan.FromSeconds(10);

    public async Task<DevicePosture> CollectAsync(CancellationToken cancellationToken)
    {
        OsRelease release = OsRelease.Parse(ReadFirst(sources.OsReleaseFiles) ?? "");
        string? mounts = Read(sources.MountInfoFile);
        PostureFinding disk = mounts is null
            ? PostureFinding.Unknown($"{sources.MountInfoFile} cannot be read")
            : DiskEncryption.Evaluate(MountInfo.Find(mounts, "/"), sources.BlockDevices);
        return new DevicePosture(
            (Read(sources.HostNameFile) ?? Environment.MachineName).Trim(),
            release.Name,
            release.Version(Read(sources.DebianVersionFile)),
            disk,
            await FirewallAsync(cancellationToken),
            // A screen lock belongs to a desktop session (GNOME, KDE: each its own settings store);
            // the client runs as a service or from a shell and cannot see it.
            PostureFinding.Unknown("a screen lock is a desktop session's setting, which the client cannot read"));
    }

    private async Task<PostureFinding> FirewallAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(sources.NftCommand[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        for (int i = 1; i < sources.NftCommand.Count; i++)
        {
            info.ArgumentList.Add(sources.NftCommand[i]);
        }

        string command = string.Join(' ', sources.NftCommand);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new Win32Exception();
        }
        catch (Win32Exception)
        {
            return PostureFinding.Unknown($"'{sources.NftCommand[0]}' is not installed (Debian package nftables)");
        }

        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(NftLimit);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                cancellationToken.ThrowIfCancellationRequested();
                return PostureFinding.Unknown($"'{command}' did not finish within {NftLimit.TotalSeconds:0} s");
            }

            if (process.ExitCode != 0)
            {
                // Reading the ruleset needs CAP_NET_ADMIN: as an ordinary user nft says "Operation not permitted".
                return PostureFinding.Unknown($"'{command}' failed: {(await error).Trim()} (reading the ruleset needs root)");
            }

            return NftablesFirewall.Evaluate(await output);
        }
    }

    private static string? ReadFirst(IReadOnlyList<string> files)
    {
        foreach (string file in files)
        {
            if (Read(file) is { } text)
            {
                return text;
            }
        }

        return null;
    }

    private static string? Read(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
