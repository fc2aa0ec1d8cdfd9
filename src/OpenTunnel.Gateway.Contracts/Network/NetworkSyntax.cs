using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OpenTunnel.Gateway.Contracts.Network;

/// <summary>
/// Strict parsing of the addresses, ranges and names administrators type. Stricter than
/// <see cref="IPAddress.TryParse(string?, out IPAddress?)"/>, which takes "10" for 0.0.0.10.
/// </summary>
public static class NetworkSyntax
{
    /// <summary>
    /// Parses "address/prefix". Returns null on success, else a message saying what is wrong
    /// (syntax, prefix length, or host bits set beyond the prefix, which usually is a typo).
    /// </summary>
    public static string? TryParseCidr(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return "is empty; a range is written address/prefix, e.g. 198.18.0.0/24.";
        }

        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return $"'{text}' has no prefix length; a range is written address/prefix, e.g. 198.18.0.0/24.";
        }

        if (!TryParseAddress(text[..slash], out IPAddress? address))
        {
            return $"'{text}' does not start with an IPv4 or IPv6 address.";
        }

        int maximum = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        string prefixText = text[(slash + 1)..];
        if (!int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out int prefix) || prefix > maximum || prefixText.Length > 3)
        {
            return $"'{text}' has prefix length '{prefixText}'; it must be a number from 0 to {maximum}.";
        }

        network = new IPNetwork(MaskTo(address, prefix), prefix);
        if (!network.BaseAddress.Equals(address))
        {
            return $"'{text}' has bits set after the prefix; did you mean {network}?";
        }

        return null;
    }

    /// <summary>Dotted-quad IPv4 (four parts) or IPv6.</summary>
    public static bool TryParseAddress(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (string.IsNullOrEmpty(text) || !IPAddress.TryParse(text, out IPAddress? parsed))
        {
            return false;
        }

        if (parsed.AddressFamily == AddressFamily.InterNetwork && text.Split('.').Length != 4)
        {
            return false;
        }

        // A zone ("fe80::1%eth0") names an interface of one machine, never a value to distribute.
        if (parsed.AddressFamily == AddressFamily.InterNetworkV6 && text.Contains('%', StringComparison.Ordinal))
        {
            return false;
        }

        address = parsed;
        return true;
    }

    /// <summary>Two ranges overlap when either contains the other's first address.</summary>
    public static bool Overlap(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == b.BaseAddress.AddressFamily && (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress));

    /// <summary>
    /// A DNS name (RFC 1035 letters, digits and hyphens, RFC 1123 leading digits): labels of 1 to
    /// 63 characters that neither start nor end with a hyphen, 253 characters in all, one
    /// trailing dot allowed. <paramref name="minimumLabels"/> 2 asks for a fully qualified name.
    /// </summary>
    public static bool IsDomainName(string? text, int minimumLabels = 1)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        string name = text.EndsWith('.') ? text[..^1] : text;
        if (name.Length is 0 or > 253)
        {
            return false;
        }

        string[] labels = name.Split('.');
        if (labels.Length < minimumLabels)
        {
            return false;
        }

        foreach (string label in labels)
        {
            if (!IsLabel(label))
            {
                return false;
            }
        }

        // An all-numeric last label would make "10.0.0" read as a name; no top-level domain is numeric.
        return !labels[^1].All(char.IsAsciiDigit);
    }

    /// <summary>A fully qualified domain name: at least two labels.</summary>
    public static bool IsFqdn(string? text) => IsDomainName(text, minimumLabels: 2);

    private static bool IsLabel(string label)
    {
        if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
        {
            return false;
        }

        foreach (char c in label)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    private static IPAddress MaskTo(IPAddress address, int prefix)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }

        return new IPAddress(bytes);
    }
}
