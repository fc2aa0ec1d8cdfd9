namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// The anti-replay window of RFC 6347 §4.1.2.6: a 64-record bitmap below the highest sequence
/// number received. A record is fresh when it is above the highest, or inside the window and not
/// yet seen; a record older than the window is rejected. <see cref="IsFresh"/> is checked before
/// decryption and <see cref="Accept"/> only after the record authenticated, so forged records
/// can never move the window.
/// </summary>
public struct ReplayWindow
{
    /// <summary>How many sequence numbers below the highest are remembered.</summary>
    public const int Size = 64;

    private ulong _highest;
    private ulong _seen; // bit i set: record (_highest - i) was received
    private bool _started;

    /// <summary>The highest sequence number accepted so far (0 before the first).</summary>
    public readonly ulong Highest => _highest;

    /// <summary>True when a record with <paramref name="sequence"/> has not been received and is not older than the window.</summary>
    public readonly bool IsFresh(ulong sequence)
    {
        if (!_started || sequence > _highest)
        {
            return true;
        }

        ulong behind = _highest - sequence;
        return behind < Size && (_seen & (1UL << (int)behind)) == 0;
    }

    /// <summary>Records that <paramref name="sequence"/> authenticated; slides the window when it is the new highest.</summary>
    public void Accept(ulong sequence)
    {
        if (!_started)
        {
            _started = true;
            _highest = sequence;
            _seen = 1;
        }
        else if (sequence > _highest)
        {
            ulong ahead = sequence - _highest;
            _seen = ahead >= Size ? 1 : (_seen << (int)ahead) | 1;
            _highest = sequence;
        }
        else
        {
            ulong behind = _highest - sequence;
            if (behind < Size)
            {
                _seen |= 1UL << (int)behind;
            }
        }
    }
}
