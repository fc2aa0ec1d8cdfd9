using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.Harness;

/// <summary>
/// A stand-in for openconnect where no gateway runs (the real one connects in
/// tests/OpenTunnel.EndToEnd.Tests/Client): a script that records its arguments (<c>args</c>, one a
/// line), the token file's content and mode while it runs (<c>token-seen</c>, <c>mode-seen</c>), and
/// exits with the code it is given.
/// </summary>
public static class StandInOpenConnect
{
    public static string Write(TemporaryDirectory directory, int exitCode)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string program = directory.File("openconnect");
        File.WriteAllText(program, $$"""
            #!/bin/sh
            printf '%s\n' "$@" > {{directory.File("args")}}
            for a in "$@"; do case "$a" in --token-secret=@*) f="${a#--token-secret=@}";; esac; done
            if [ -f "$f" ]; then cat "$f" > {{directory.File("token-seen")}}; stat -c %a "$f" > {{directory.File("mode-seen")}}; fi
            exit {{exitCode}}

            """);
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return program;
    }
}
