using System.Runtime.InteropServices;
using System.Security.Cryptography;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Platform.Linux.Crypto;

/// <summary>
/// AES-GCM straight from OpenSSL's libcrypto.so.3, for the DTLS data path. .NET's
/// <c>AesGcm</c> runs on the same library, but its native layer clears OpenSSL's error queue
/// before each of the five calls a record takes, and OpenSSL 3 frees each of the queue's 16 slots
/// to clear it: in a DTLS download that was a sixth of the gateway's CPU. Here a record is the same
/// five calls (the IV, the additional data, the text, the final block, the tag) and the queue is
/// cleared only when a call fails. One key and one direction per instance, one call at a time;
/// the key schedule is made once.
/// </summary>
public sealed unsafe partial class OpenSslAesGcm : IRecordCipher
{
    private const string Crypto = OpenSsl.LibCrypto;
    private const int TagLength = DtlsRecordProtection.TagLength;
    private const int NonceLength = 12;
    private const int CtrlGcmGetTag = 0x10;
    private const int CtrlGcmSetTag = 0x11;

    private static readonly Lazy<bool> s_available = new(Probe);

    private readonly nint _cipher;
    private readonly Lock _making = new();

    /// <summary>Kept until both directions' contexts are made (zeroed then, or at the dispose).</summary>
    private byte[]? _key;
    private ContextHandle? _encrypt;
    private ContextHandle? _decrypt;

    private OpenSslAesGcm(ReadOnlySpan<byte> key)
    {
        _cipher = key.Length switch
        {
            16 => Aes128Gcm(),
            32 => Aes256Gcm(),
            _ => throw new ArgumentException($"An AES-GCM key is 16 or 32 bytes; got {key.Length}.", nameof(key)),
        };
        _key = key.ToArray();
    }

    /// <summary>How many of its two OpenSSL contexts (one per direction) the instance has made so far (for tests).</summary>
    internal int ContextCount => (_encrypt is null ? 0 : 1) + (_decrypt is null ? 0 : 1);

    /// <summary>True when libcrypto.so.3 (OpenSSL 3) can be loaded and has AES-GCM.</summary>
    public static bool IsAvailable => s_available.Value;

    /// <summary>
    /// <see cref="Create"/> where OpenSSL 3 is available; otherwise null, and the caller keeps
    /// .NET's own AES-GCM.
    /// </summary>
    public static RecordCipherFactory? Factory => IsAvailable ? Create : null;

    /// <summary>
    /// The cipher of a 16- or 32-byte <paramref name="key"/>. Each direction's OpenSSL context (about
    /// 1 KB with its key schedule) is made at its first record: a TLS or DTLS connection uses one
    /// instance per direction, and each of them only seals or only opens.
    /// </summary>
    /// <exception cref="ArgumentException">The key is neither 16 nor 32 bytes.</exception>
    public static IRecordCipher Create(ReadOnlySpan<byte> key) => new OpenSslAesGcm(key);

    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> additionalData)
    {
        if (!Run(Volatile.Read(ref _encrypt) ?? Make(encrypt: true), nonce, plaintext, ciphertext, tag, additionalData, seal: true))
        {
            ciphertext.Clear();
            throw new InvalidOperationException("OpenSSL failed to encrypt a record with AES-GCM.");
        }
    }

    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> additionalData)
    {
        if (Run(Volatile.Read(ref _decrypt) ?? Make(encrypt: false), nonce, ciphertext, plaintext, tag, additionalData, seal: false))
        {
            return true;
        }

        // A tag that does not verify is the usual failure; nothing of the text is handed out.
        plaintext.Clear();
        return false;
    }

    public void Dispose()
    {
        lock (_making)
        {
            _encrypt?.Dispose();
            _decrypt?.Dispose();
            ForgetKey();
        }
    }

    /// <exception cref="InvalidOperationException">OpenSSL refused to set the cipher up.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    private ContextHandle Make(bool encrypt)
    {
        lock (_making)
        {
            if ((encrypt ? _encrypt : _decrypt) is { } made)
            {
                return made;
            }

            ObjectDisposedException.ThrowIf(_key is null, this);
            var context = NewContext(_cipher, _key, encrypt);
            if (encrypt)
            {
                Volatile.Write(ref _encrypt, context);
            }
            else
            {
                Volatile.Write(ref _decrypt, context);
            }

            if (_encrypt is not null && _decrypt is not null)
            {
                ForgetKey();
            }

            return context;
        }
    }

    private void ForgetKey()
    {
        if (_key is { } key)
        {
            CryptographicOperations.ZeroMemory(key);
            _key = null;
        }
    }

    /// <summary>
    /// One record through <paramref name="context"/>: the IV, the additional data, the text, then
    /// the tag and the final block (opening sets the tag before the final block checks it, sealing
    /// reads it after). OpenSSL's error queue is cleared only when a call failed.
    /// </summary>
    private static bool Run(ContextHandle context, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, Span<byte> output, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> additionalData, bool seal)
    {
        CheckLengths(nonce, input.Length, output.Length, tag.Length);
        CheckOverlap(input, output);
        // One reference for the record's five calls, rather than one per call.
        bool referenced = false;
        context.DangerousAddRef(ref referenced);
        try
        {
            return Run(context.DangerousGetHandle(), nonce, input, output, tag, additionalData, seal);
        }
        finally
        {
            if (referenced)
            {
                context.DangerousRelease();
            }
        }
    }

    private static bool Run(nint context, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, Span<byte> output, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> additionalData, bool seal)
    {
        fixed (byte* n = nonce)
        fixed (byte* i = input)
        fixed (byte* o = output)
        fixed (byte* t = tag)
        fixed (byte* a = additionalData)
        {
            int written;
            bool ok = CipherInit(context, 0, null, null, n, -1) == 1
                && (additionalData.Length == 0 || CipherUpdate(context, null, &written, a, additionalData.Length) == 1)
                && (input.Length == 0 || CipherUpdate(context, o, &written, i, input.Length) == 1)
                && (seal || CipherCtxCtrl(context, CtrlGcmSetTag, TagLength, t) == 1)
                && CipherFinal(context, o + input.Length, &written) == 1
                && (!seal || CipherCtxCtrl(context, CtrlGcmGetTag, TagLength, t) == 1);
            if (!ok)
            {
                OpenSsl.ClearErrors();
            }

            return ok;
        }
    }

    private static void CheckLengths(ReadOnlySpan<byte> nonce, int inputLength, int outputLength, int tagLength)
    {
        if (nonce.Length != NonceLength)
        {
            throw new ArgumentException($"The AES-GCM nonce of a DTLS record is {NonceLength} bytes; got {nonce.Length}.", nameof(nonce));
        }

        if (tagLength != TagLength)
        {
            throw new ArgumentException($"The tag is {TagLength} bytes; got {tagLength}.", "tag");
        }

        if (outputLength != inputLength)
        {
            throw new ArgumentException($"The output must be as long as the input ({inputLength} bytes); got {outputLength}.", "output");
        }
    }

    // OpenSSL works in place only when input and output start at the same byte.
    private static void CheckOverlap(ReadOnlySpan<byte> input, ReadOnlySpan<byte> output)
    {
        if (input.Overlaps(output, out int offset) && offset != 0)
        {
            throw new ArgumentException("The input and output overlap without being the same bytes.", nameof(output));
        }
    }

    private static ContextHandle NewContext(nint cipher, ReadOnlySpan<byte> key, bool encrypt)
    {
        var context = CipherCtxNew();
        if (context.IsInvalid)
        {
            context.Dispose();
            throw new InvalidOperationException("OpenSSL could not allocate a cipher context.");
        }

        fixed (byte* k = key)
        {
            if (CipherInit(context.DangerousGetHandle(), cipher, null, k, null, encrypt ? 1 : 0) != 1)
            {
                OpenSsl.ClearErrors();
                context.Dispose();
                throw new InvalidOperationException("OpenSSL refused the AES-GCM key.");
            }
        }

        return context;
    }

    private static bool Probe()
    {
        try
        {
            return Aes128Gcm() != 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport(Crypto, EntryPoint = "EVP_aes_128_gcm")]
    private static partial nint Aes128Gcm();

    [LibraryImport(Crypto, EntryPoint = "EVP_aes_256_gcm")]
    private static partial nint Aes256Gcm();

    [LibraryImport(Crypto, EntryPoint = "EVP_CIPHER_CTX_new")]
    private static partial ContextHandle CipherCtxNew();

    [LibraryImport(Crypto, EntryPoint = "EVP_CIPHER_CTX_free")]
    private static partial void CipherCtxFree(nint context);

    [LibraryImport(Crypto, EntryPoint = "EVP_CipherInit_ex")]
    private static partial int CipherInit(nint context, nint cipher, void* engine, byte* key, byte* iv, int encrypt);

    [LibraryImport(Crypto, EntryPoint = "EVP_CipherUpdate")]
    private static partial int CipherUpdate(nint context, byte* output, int* outputLength, byte* input, int inputLength);

    [LibraryImport(Crypto, EntryPoint = "EVP_CipherFinal_ex")]
    private static partial int CipherFinal(nint context, byte* output, int* outputLength);

    [LibraryImport(Crypto, EntryPoint = "EVP_CIPHER_CTX_ctrl")]
    private static partial int CipherCtxCtrl(nint context, int type, int argument, void* pointer);

    /// <summary>An <c>EVP_CIPHER_CTX*</c>, freed once no call uses it any more.</summary>
    private sealed class ContextHandle() : SafeHandle(0, ownsHandle: true)
    {
        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle()
        {
            CipherCtxFree(handle);
            return true;
        }
    }
}
