using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Client.HostNetwork;

/// <summary>
/// What the gateway's answer to CONNECT gives this device (openconnect cstp.c
/// <c>start_cstp_connection</c> reads the same headers into the vpnc-script environment): the
/// addresses, DNS, split routes, MTU and the DPD and keepalive intervals.
/// </summary>
public sealed record TunnelLease
{
    public IPAddress? IPv4Address { get; init; }

    /// <summary>The pool's network, from X-CSTP-Netmask (routed through the tunnel, as the vpnc-script does).</summary>
    public IPNetwork? IPv4Network { get; init; }

    public IPAddress? IPv6Address { get; init; }

    public int IPv6PrefixLength { get; init; } = 128;

    public IReadOnlyList<IPAddress> DnsServers { get; init; } = [];

    public string? DefaultDomain { get; init; }

    public IReadOnlyList<string> SplitDns { get; init; } = [];

    /// <summary>No include of a family means every address of that family goes through the tunnel.</summary>
    public IReadOnlyList<IPNetwork> SplitInclude { get; init; } = [];

    public IReadOnlyList<IPNetwork> SplitExclude { get; init; } = [];

    /// <summary>The tunnel MTU (X-CSTP-MTU, else X-DTLS-MTU).</summary>
    public required int Mtu { get; init; }

    /// <summary>Seconds of silence before a dead-peer probe (X-CSTP-DPD); 0: none.</summary>
    public int DpdSeconds { get; init; }

    /// <summary>Seconds without sending before a keepalive (X-CSTP-Keepalive); 0: none.</summary>
    public int KeepaliveSeconds { get; init; }

    public string? Banner { get; init; }

    /// <summary>The addresses to ask for again on a reconnect (X-CSTP-Address of the next CONNECT).</summary>
    public IReadOnlyList<string> Addresses =>
        [.. new[] { IPv4Address?.ToString(), IPv6Address?.ToString() }.OfType<string>()];

    /// <summary>
    /// What this lease (a reconnect's) configures differently from <paramref name="earlier"/>, one
    /// phrase each (addresses, networks, DNS, MTU); empty when the host needs no change. A gateway
    /// restarted with another configuration (a pool of a family gone, other split routes) gives such a
    /// lease to a session it restored.
    /// </summary>
    public IReadOnlyList<string> ChangesFrom(TunnelLease earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        var changes = new List<string>();
        Compare(changes, "IPv4 address", earlier.IPv4Address, IPv4Address);
        Compare(changes, "IPv6 address", earlier.IPv6Address is null ? null : $"{earlier.IPv6Address}/{earlier.IPv6PrefixLength}",
            IPv6Address is null ? null : $"{IPv6Address}/{IPv6PrefixLength}");
        Compare(changes, "pool network", earlier.IPv4Network, IPv4Network);
        CompareList(changes, "split-includes", earlier.SplitInclude, SplitInclude);
        CompareList(changes, "split-excludes", earlier.SplitExclude, SplitExclude);
        CompareList(changes, "DNS servers", earlier.DnsServers, DnsServers);
        Compare(changes, "default domain", earlier.DefaultDomain, DefaultDomain);
        CompareList(changes, "split-DNS domains", earlier.SplitDns, SplitDns);
        Compare(changes, "MTU", earlier.Mtu, Mtu);
        return changes;
    }

    private static void Compare<T>(List<string> changes, string what, T? before, T? now)
    {
        if (Equals(before, now))
        {
            return;
        }

        changes.Add(before is null ? $"{what} {now} is new" : now is null ? $"{what} {before} is gone" : $"{what} {before} is now {now}");
    }

    private static void CompareList<T>(List<string> changes, string what, IReadOnlyList<T> before, IReadOnlyList<T> now)
    {
        if (!before.SequenceEqual(now))
        {
            changes.Add($"{what} were {Listed(before)}, now {Listed(now)}");
        }
    }

    private static string Listed<T>(IReadOnlyList<T> items) => items.Count == 0 ? "none" : string.Join(", ", items);

    /// <summary>
    /// Reads a CONNECT answer. Throws <see cref="FormatException"/> naming the header when a
    /// required one is missing or a value is not what it should be.
    /// </summary>
    public static TunnelLease FromConnectResponse(HttpResponseHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        IPAddress? ipv4 = head.Get("X-CSTP-Address") is { } v4 ? Address(v4, "X-CSTP-Address", AddressFamily.InterNetwork) : null;
        IPAddress? ipv6 = null;
        int ipv6Prefix = 128;
        if (head.Get("X-CSTP-Address-IP6") is { } v6)
        {
            var network = Network(v6, "X-CSTP-Address-IP6");
            ipv6 = IPAddress.Parse(v6.Split('/')[0]);
            ipv6Prefix = network.PrefixLength;
        }

        if (ipv4 is null && ipv6 is null)
        {
            throw new FormatException("The gateway's CONNECT answer has neither X-CSTP-Address nor X-CSTP-Address-IP6.");
        }

        IPNetwork? ipv4Network = null;
        if (ipv4 is not null && head.Get("X-CSTP-Netmask") is { } mask)
        {
            int length = MaskLength(Address(mask, "X-CSTP-Netmask", AddressFamily.InterNetwork), "X-CSTP-Netmask");
            ipv4Network = new IPNetwork(Masked(ipv4, length), length);
        }

        int mtu = Number(head.Get("X-CSTP-MTU") ?? head.Get("X-DTLS-MTU"), "X-CSTP-MTU")
            ?? throw new FormatException("The gateway's CONNECT answer has no X-CSTP-MTU.");
        if (mtu is < 576 or > 65535)
        {
            throw new FormatException($"X-CSTP-MTU {mtu} is outside 576 to 65535.");
        }

        var dns = new List<IPAddress>();
        var include = new List<IPNetwork>();
        var exclude = new List<IPNetwork>();
        var splitDns = new List<string>();
        foreach (var (name, value) in head.Headers)
        {
            switch (name.ToUpperInvariant())
            {
                case "X-CSTP-DNS":
                    dns.Add(Address(value, name, AddressFamily.InterNetwork));
                    break;
                case "X-CSTP-DNS-IP6":
                    dns.Add(Address(value, name, AddressFamily.InterNetworkV6));
                    break;
                case "X-CSTP-SPLIT-INCLUDE" or "X-CSTP-SPLIT-INCLUDE-IP6":
                    include.Add(Network(value, name));
                    break;
                case "X-CSTP-SPLIT-EXCLUDE" or "X-CSTP-SPLIT-EXCLUDE-IP6":
                    exclude.Add(Network(value, name));
                    break;
                case "X-CSTP-SPLIT-DNS":
                    splitDns.Add(value);
                    break;
            }
        }

        return new TunnelLease
        {
            IPv4Address = ipv4,
            IPv4Network = ipv4Network,
            IPv6Address = ipv6,
            IPv6PrefixLength = ipv6Prefix,
            DnsServers = dns,
            DefaultDomain = NullIfEmpty(head.Get("X-CSTP-Default-Domain")),
            SplitDns = splitDns,
            SplitInclude = include,
            SplitExclude = exclude,
            Mtu = mtu,
            DpdSeconds = Number(head.Get("X-CSTP-DPD"), "X-CSTP-DPD") ?? 0,
            KeepaliveSeconds = Number(head.Get("X-CSTP-Keepalive"), "X-CSTP-Keepalive") ?? 0,
            Banner = NullIfEmpty(head.Get("X-CSTP-Banner")),
        };
    }

    /// <summary><c>net/len</c> or <c>net/mask</c> (ocserv sends IPv4 routes with a dotted mask), host bits cleared.</summary>
    internal static IPNetwork Network(string value, string header)
    {
        string[] parts = value.Trim().Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var address))
        {
            throw new FormatException($"{header} '{value}' is not a network (address/length or address/mask).");
        }

        int maxLength = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int length;
        if (int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n <= maxLength)
        {
            length = n;
        }
        else if (address.AddressFamily == AddressFamily.InterNetwork && parts[1].Contains('.', StringComparison.Ordinal)
            && IPAddress.TryParse(parts[1], out var mask) && mask.AddressFamily == AddressFamily.InterNetwork)
        {
            length = MaskLength(mask, header);
        }
        else
        {
            throw new FormatException($"{header} '{value}': '{parts[1]}' is neither a prefix length (0 to {maxLength}) nor a netmask.");
        }

        return new IPNetwork(Masked(address, length), length);
    }

    private static int MaskLength(IPAddress mask, string header)
    {
        uint bits = (uint)IPAddress.NetworkToHostOrder(BitConverter.ToInt32(mask.GetAddressBytes()));
        int length = System.Numerics.BitOperations.PopCount(bits);
        uint contiguous = length == 0 ? 0u : uint.MaxValue << (32 - length);
        if (bits != contiguous)
        {
            throw new FormatException($"{header} '{mask}' is not a contiguous netmask.");
        }

        return length;
    }

    private static IPAddress Masked(IPAddress address, int prefixLength)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int keep = Math.Clamp(prefixLength - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }

    private static IPAddress Address(string value, string header, AddressFamily family) =>
        IPAddress.TryParse(value.Trim(), out var address) && address.AddressFamily == family
            ? address
            : throw new FormatException($"{header} '{value}' is not an {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address.");

    private static int? Number(string? value, string header) =>
        value is null ? null
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n
        : throw new FormatException($"{header} '{value}' is not a whole number.");

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
