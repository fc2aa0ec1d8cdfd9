using System.Globalization;
using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Install;

/// <summary>
/// What `opentunnel-setup install --no-containers` writes to, on a test machine without systemd as
/// PID 1: a copy of /etc and empty /opt and /var/lib under <see cref="Root"/>, bind-mounted over
/// the real ones in a private mount namespace for each command (<see cref="Wrap"/>), so the user,
/// the units, the configuration and the binaries land in the copy; and a <c>systemctl</c> first on
/// PATH that starts each unit's ExecStart the way its [Service] section says (User, Environment,
/// AmbientCapabilities, StateDirectory) without systemd's sandbox, and stops it with SIGTERM
/// (<c>daemon-reload</c>, <c>enable --now</c>, <c>disable --now</c>, <c>restart</c>).
/// The binaries given to the script are this build's (framework-dependent, run by the installed .NET).
/// </summary>
public sealed class ThrowAwayServer
{
    private const string SystemctlStandIn = """
        #!/bin/sh
        # systemctl for a machine without systemd as PID 1 (a test): daemon-reload, enable --now,
        # disable --now and restart of the units in /etc/systemd/system, each call logged.
        set -eu
        run=@ROOT@/units
        mkdir -p "$run"
        echo "systemctl $*" >>@ROOT@/systemctl.log
        setting() { sed -n "s/^$2=//p" "/etc/systemd/system/$1"; }
        start() {
          user=$(setting "$1" User)
          caps=$(setting "$1" AmbientCapabilities | tr 'A-Z' 'a-z' | sed 's/cap_/,+/g; s/ //g')
          for d in $(setting "$1" StateDirectory); do
            mkdir -p "/var/lib/$d"; chown "$user:$user" "/var/lib/$d"; chmod 0700 "/var/lib/$d"
          done
          home=$(getent passwd "$user" | cut -d: -f6)
          # A clean environment as systemd gives: PATH, HOME, USER, then the unit's Environment= lines.
          setpriv --reuid="$user" --regid="$user" --init-groups --bounding-set="-all$caps" --inh-caps="-all$caps" \
            --ambient-caps="-all$caps" --no-new-privs -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$home" USER="$user" \
            $(setting "$1" Environment) $(setting "$1" ExecStart) >"$run/$1.log" 2>&1 </dev/null &
          echo $! >"$run/$1.pid"
        }
        stop() {
          [ -f "$run/$1.pid" ] || return 0
          pid=$(cat "$run/$1.pid")
          kill -TERM "$pid" 2>/dev/null || true
          for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        }
        verb=$1; shift
        now=false
        if [ "${1:-}" = --now ]; then now=true; shift; fi
        case "$verb" in
          daemon-reload) ;;
          enable) if [ "$now" = true ]; then for unit; do start "$unit"; done; fi ;;
          disable) if [ "$now" = true ]; then for unit; do stop "$unit"; done; fi ;;
          restart) for unit; do stop "$unit"; start "$unit"; done ;;
          *) echo "systemctl stand-in: '$verb' is not supported" >&2; exit 1 ;;
        esac
        """;

    public ThrowAwayServer(string root)
    {
        Root = root;
        // /etc/netns changes while other tests run; the copy is of everything else.
        int copied = Command.Run("sh", ["-c", $"tar -C / --exclude=etc/netns -cf - etc | tar -C '{root}' -xf -"], TimeSpan.FromMinutes(1)).ExitCode;
        Assert.True(copied is 0 or 1, "copying /etc failed");
        Directory.CreateDirectory(Path("opt"));
        Directory.CreateDirectory(Path("var/lib"));
        Directory.CreateDirectory(Path("bin"));
        File.WriteAllText(Path("bin/systemctl"), SystemctlStandIn.Replace("@ROOT@", root, StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(Path("bin/systemctl"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // --binaries DIR as the script wants it: gateway/, agent/, gateway.json, systemd/.
        Binaries = Directory.CreateDirectory(Path("binaries")).FullName;
        CopyFolder(System.IO.Path.GetDirectoryName(SolutionOutput.Assembly("OpenTunnel.Gateway", "opentunnel-gateway.dll"))!, "gateway");
        CopyFolder(System.IO.Path.GetDirectoryName(SolutionOutput.Assembly("OpenTunnel.Agent", "opentunnel-agent.dll"))!, "agent");
        CopyFolder(System.IO.Path.Combine(SolutionOutput.Root(), "deploy", "systemd"), "systemd");
        File.Copy(System.IO.Path.Combine(SolutionOutput.Root(), "deploy", "images", "gateway.json"), System.IO.Path.Combine(Binaries, "gateway.json"));
        MentionsBefore = FilesMentioningOpenTunnel();
    }

    public string Root { get; }

    /// <summary>The folder given to --binaries.</summary>
    public string Binaries { get; }

    /// <summary>The files of the /etc copy that named OpenTunnel before the install (normally none).</summary>
    public IReadOnlyList<string> MentionsBefore { get; }

    public string Path(string relative) => System.IO.Path.Combine(Root, relative);

    /// <summary>COMMAND in a private mount namespace with the copies over /etc, /opt and /var/lib and the stand-in systemctl first on PATH.</summary>
    public string[] Wrap(IReadOnlyList<string> command) =>
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         $"mount --bind '{Path("etc")}' /etc && mount --bind '{Path("opt")}' /opt && mount --bind '{Path("var/lib")}' /var/lib && PATH='{Path("bin")}':$PATH exec \"$@\"",
         "sh", .. command];

    /// <summary>The files of the /etc copy (without the *- backups useradd and userdel keep) that contain "opentunnel".</summary>
    public IReadOnlyList<string> FilesMentioningOpenTunnel() =>
        [.. Command.Run("grep", "-rl", "--exclude=*-", "opentunnel", Path("etc")).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];

    public string SystemctlLog() => File.Exists(Path("systemctl.log")) ? File.ReadAllText(Path("systemctl.log")) : "";

    /// <summary>What the units' processes printed, for a failing test.</summary>
    public string Logs() =>
        !Directory.Exists(Path("units")) ? "" : string.Concat(Directory.GetFiles(Path("units"), "*.log").Select(f => $"\n--- {System.IO.Path.GetFileName(f)}\n{File.ReadAllText(f)}"));

    /// <summary>The PIDs the stand-in started that still run (an OpenTunnel program under that PID).</summary>
    public IReadOnlyList<int> RunningProcesses() =>
        !Directory.Exists(Path("units")) ? [] :
        [.. Directory.GetFiles(Path("units"), "*.pid")
            .Select(f => int.Parse(File.ReadAllText(f).Trim(), CultureInfo.InvariantCulture))
            .Where(IsOurs)];

    /// <summary>Ends, by PID, what the stand-in started and an uninstall did not stop.</summary>
    public void KillLeftovers()
    {
        foreach (int pid in RunningProcesses())
        {
            Command.Run("kill", "-KILL", pid.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static bool IsOurs(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Contains("/opt/opentunnel/", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void CopyFolder(string source, string name) =>
        Command.Run("cp", "-a", source, System.IO.Path.Combine(Binaries, name)).EnsureSuccess();
}
