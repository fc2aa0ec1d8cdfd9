namespace OpenTunnel.Fuzz;

/// <summary>
/// One fuzz target: runs an input through the same code the gateway runs on bytes from a peer or
/// an operator. It returns normally for any input the code handles as designed (including a
/// refusal through the documented error of that code) and throws for anything else: an
/// unexpected exception type, or a broken invariant (<see cref="FuzzInvariantException"/>).
/// </summary>
public delegate void FuzzTarget(ReadOnlySpan<byte> input);

/// <summary>Every target by the name given on the command line and used as the corpus folder (fuzz/corpus/NAME).</summary>
public static class FuzzTargets
{
    public static IReadOnlyDictionary<string, FuzzTarget> All { get; } = new SortedDictionary<string, FuzzTarget>(StringComparer.Ordinal)
    {
        ["http"] = HttpRequestTarget.Run,
        ["auth-xml"] = AuthXmlTarget.Run,
        ["cstp"] = CstpFramingTarget.Run,
        ["dtls-record"] = DtlsRecordTarget.Run,
        ["dtls-demux"] = DtlsDemultiplexerTarget.Run,
        ["config"] = GatewayConfigurationTarget.Run,
        ["tcp-window"] = TcpWindowClampTarget.Run,
    };
}

/// <summary>Code under fuzzing broke a promise it makes for every input (the message says which).</summary>
public sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException()
    {
    }

    public FuzzInvariantException(string message)
        : base(message)
    {
    }

    public FuzzInvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws when <paramref name="condition"/> is false.</summary>
    public static void Check(bool condition, string promise)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(promise);
        }
    }
}
