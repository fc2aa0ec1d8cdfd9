using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Numerics;
using OpenTunnel.Gateway.Contracts.Network;

namespace OpenTunnel.Gateway.Addressing;

/// <summary>An address the host holds (with its prefix) or a route in its main table, and the interface it is on.</summary>
public sealed record HostNetwork(IPNetwork Network, string Interface, bool IsRoute)
{
    public override string ToString() => $"{(IsRoute ? "route" : "address")} {Network} on {Interface}";
}

/// <summary>
/// The networks the host already uses, read before the gateway puts its pool on the TUN device:
/// a pool that overlaps one of them would take the host's own traffic to it into the tunnel, or
/// hand a client an address the host's neighbours use. Addresses come from getifaddrs (through
/// <see cref="NetworkInterface"/>); routes from the calling thread's namespace's
/// <c>/proc/thread-self/net/route</c> and <c>ipv6_route</c>.
/// </summary>
public static class HostNetworks
{
    /// <summary>What the host has now, in the calling thread's network namespace.</summary>
    public static IReadOnlyList<HostNetwork> Read()
    {
        var networks = new List<HostNetwork>();
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (UnicastIPAddressInformation unicast in nic.GetIPProperties().UnicastAddresses)
            {
                networks.Add(new HostNetwork(new IPNetwork(Masked(unicast.Address, unicast.PrefixLength), unicast.PrefixLength), nic.Name, IsRoute: false));
            }
        }

        networks.AddRange(ParseIPv4Routes(ReadProc("route")));
        networks.AddRange(ParseIPv6Routes(ReadProc("ipv6_route")));
        return networks;
    }

    /// <summary>
    /// One sentence per host network that shares addresses with <paramref name="pool"/>, naming both.
    /// Default routes are left out (every pool lies inside them), and so is whatever sits on the
    /// gateway's own TUN device (a device left over from an earlier run).
    /// </summary>
    public static List<string> Overlaps(string poolSetting, IPNetwork pool, IReadOnlyList<HostNetwork> host, string tunDevice)
    {
        var overlaps = new List<string>();
        foreach (HostNetwork network in host)
        {
            if ((network.IsRoute && network.Network.PrefixLength == 0) || network.Interface == tunDevice
                || !NetworkSyntax.Overlap(network.Network, pool))
            {
                continue;
            }

            string sentence = $"{poolSetting} {pool} overlaps the host's {network}";
            if (!overlaps.Contains(sentence))
            {
                overlaps.Add(sentence);
            }
        }

        return overlaps;
    }

    /// <summary>The host's default route of <paramref name="family"/> (not one on the gateway's TUN device), or null.</summary>
    public static HostNetwork? DefaultRoute(IReadOnlyList<HostNetwork> host, System.Net.Sockets.AddressFamily family, string tunDevice)
    {
        foreach (HostNetwork network in host)
        {
            if (network.IsRoute && network.Network.PrefixLength == 0 && network.Network.BaseAddress.AddressFamily == family && network.Interface != tunDevice)
            {
                return network;
            }
        }

        return null;
    }

    /// <summary>
    /// Parses <c>/proc/net/route</c>: a header line, then "Iface Destination Gateway Flags RefCnt Use
    /// Metric Mask ...", with destination and mask as the native-endian hex of the network-order value.
    /// </summary>
    public static List<HostNetwork> ParseIPv4Routes(string text)
    {
        var routes = new List<HostNetwork>();
        foreach (string line in text.Split('\n').Skip(1))
        {
            string[] fields = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 8
                || !uint.TryParse(fields[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint destination)
                || !uint.TryParse(fields[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint mask))
            {
                continue;
            }

            int prefix = BitOperations.PopCount(mask);
            routes.Add(new HostNetwork(new IPNetwork(Masked(FromProc(destination), prefix), prefix), fields[0], IsRoute: true));
        }

        return routes;
    }

    /// <summary>
    /// Parses <c>/proc/net/ipv6_route</c>: "destination(32 hex) prefix(2 hex) source prefix next-hop
    /// metric refcnt use flags iface" per line.
    /// </summary>
    public static List<HostNetwork> ParseIPv6Routes(string text)
    {
        var routes = new List<HostNetwork>();
        foreach (string line in text.Split('\n'))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 10 || fields[0].Length != 32
                || !int.TryParse(fields[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int prefix) || prefix > 128)
            {
                continue;
            }

            byte[] bytes = Convert.FromHexString(fields[0]);
            routes.Add(new HostNetwork(new IPNetwork(Masked(new IPAddress(bytes), prefix), prefix), fields[9], IsRoute: true));
        }

        return routes;
    }

    private static string ReadProc(string name)
    {
        // thread-self, not self: /proc/self/net shows the namespace of the process's main thread,
        // and a test runs this on a thread that joined another namespace.
        string path = Path.Combine("/proc/thread-self/net", name);
        return File.Exists(path) ? File.ReadAllText(path) : string.Empty;
    }

    /// <summary>
    /// The kernel prints the network-order value as a native integer, and <see cref="IPAddress(long)"/>
    /// reads a native integer's memory as the address bytes: the two undo each other on any endianness.
    /// </summary>
    private static IPAddress FromProc(uint value) => new(value);

    private static IPAddress Masked(IPAddress address, int prefix)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPAddress(bytes);
    }
}
