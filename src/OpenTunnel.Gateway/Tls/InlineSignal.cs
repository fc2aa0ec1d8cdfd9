using System.Threading.Tasks.Sources;

namespace OpenTunnel.Gateway.Tls;

/// <summary>
/// An auto-reset signal for one waiter that resumes on the thread that sets it, not on a
/// thread-pool thread: the TLS writer of a session then runs on the thread that handed it
/// packets (the TUN reader, or a reader that drained the TUN device), for as long as its writes
/// complete at once, and a ping's answer leaves without waking another thread. A set with no
/// waiter is kept until the next wait; sets before that wait count once.
/// </summary>
internal sealed class InlineSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Set = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };
    private int _state;

    /// <summary>Completes when the signal is set (at once when it was set before). One waiter at a time.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Set) == Set)
        {
            return ValueTask.CompletedTask;
        }

        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Set)
        {
            // Set between the two exchanges: take it.
            Volatile.Write(ref _state, Idle);
            return ValueTask.CompletedTask;
        }

        return new ValueTask(this, _core.Version);
    }

    /// <summary>Sets the signal; a waiter resumes on this thread before this call returns.</summary>
    public void Signal()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Set:
                    return;
                case Idle when Interlocked.CompareExchange(ref _state, Set, Idle) == Idle:
                    return;
                case Waiting when Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting:
                    _core.SetResult(true);
                    return;
            }
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    // Without the scheduling context: the waiter resumes on the setting thread even where a
    // synchronization context was current when it began to wait.
    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags & ~ValueTaskSourceOnCompletedFlags.UseSchedulingContext);
}
