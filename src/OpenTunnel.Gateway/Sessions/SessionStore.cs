using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// Keeps <c>DATA/sessions.json</c> (<see cref="SessionFile"/>) in step with the session table, so
/// that a gateway killed and started again accepts the cookies it had issued and gives their
/// sessions the same addresses. Each change of the table wakes one writer, which writes the whole
/// table (owner-only, to a temporary file renamed into place, so a crash leaves the old file or
/// the new one); changes made while it writes, and for <see cref="WriteInterval"/> after, are taken by
/// its next write, so a burst of sign-ins costs one write a second however many sessions it brings
/// (each write takes the whole table: at 10,000 sessions, writing at every change took a quarter of
/// the gateway's processor time during a ramp of sign-ins). A crash loses at most the changes of the
/// last interval: those clients sign in again. A session ended by the administrator is written at once
/// (<see cref="SaveNow"/>) before the control command answers, so a crash cannot bring it back.
/// A write that fails (a full or read-only disk) is logged once, the gateway keeps serving from
/// memory, and the next change tries again.
/// </summary>
public sealed class SessionStore
{
    /// <summary>The least time between two writes of the writer.</summary>
    public static readonly TimeSpan WriteInterval = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly TimeSpan _interval;
    private readonly SessionTable _sessions;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _changed = new(0, 1);
    private readonly Lock _saving = new();
    private bool _failing;
    private bool _deleted;

    /// <summary>A store of the file <paramref name="path"/>; its writer rests <paramref name="interval"/> (<see cref="WriteInterval"/> when null) after each write.</summary>
    public SessionStore(string path, SessionTable sessions, ILogger logger, TimeSpan? interval = null)
    {
        _path = path;
        _interval = interval ?? WriteInterval;
        _sessions = sessions;
        _logger = logger;
        sessions.Changed += OnChanged;
    }

    public string Path => _path;

    /// <summary>The sessions saved in the file (none when it does not exist); <paramref name="problem"/> says why a file was not used.</summary>
    public IReadOnlyList<SavedSession> Read(out string? problem)
    {
        problem = null;
        try
        {
            return File.Exists(_path) ? SessionFile.Parse(File.ReadAllText(_path)) : [];
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            problem = $"the session file {_path} cannot be read ({e.Message}); its sessions sign in again";
            return [];
        }
    }

    /// <summary>Writes the file whenever the table changed, until <paramref name="stopping"/>.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                await _changed.WaitAsync(stopping);
                SaveNow();
                await Task.Delay(_interval, stopping);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Writes the table as it is now.</summary>
    public void SaveNow()
    {
        lock (_saving)
        {
            if (_deleted)
            {
                // A wake-up that was pending when the clean stop deleted the file: nothing to restore.
                return;
            }

            var saved = new List<SavedSession>();
            foreach (var session in _sessions.Snapshot())
            {
                if (!session.Ended)
                {
                    saved.Add(SavedSession.Of(session));
                }
            }

            try
            {
                OwnerOnlyFiles.WriteAtomically(_path, SessionFile.Serialize(saved));
                if (_failing)
                {
                    _failing = false;
                    GatewayLog.SessionsSavedAgain(_logger, _path, saved.Count);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (!_failing)
                {
                    _failing = true;
                    GatewayLog.SessionsNotSaved(_logger, _path, e.Message);
                }
            }
        }
    }

    /// <summary>
    /// Deletes the file after a clean stop, which ended every session (each client was told
    /// TERMINATE): there is nothing to restore.
    /// </summary>
    public void Delete()
    {
        _sessions.Changed -= OnChanged;
        lock (_saving)
        {
            _deleted = true;
            File.Delete(_path);
        }
    }

    private void OnChanged()
    {
        // One pending wake-up is enough: the writer takes the whole table.
        if (_changed.CurrentCount == 0)
        {
            try
            {
                _changed.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another change woke it first.
            }
        }
    }
}
