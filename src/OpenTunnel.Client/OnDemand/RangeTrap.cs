using System.Net;
using OpenTunnel.Client.HostNetwork;
using OpenTunnel.Platform.Linux.Tun;

namespace OpenTunnel.Client.OnDemand;

/// <summary>
/// While the tunnel is down: a TUN device of its own with a route for each range of the connect
/// rules' <c>ipRanges</c>, so that the host's first packet to such a range comes here instead of
/// leaving by the network, and asks for the tunnel. The routes go with the device (the kernel
/// removes a device's routes when it goes), so a killed client leaves nothing; a range the host
/// already routes the same way is left alone (<c>ip route add</c> refuses it, and the line says so).
/// </summary>
public sealed class RangeTrap : IDisposable
{
    /// <summary>The kernel numbers the devices: opentrap0, opentrap1...</summary>
    public const string DeviceName = "opentrap%d";

    private readonly TunDevice _device;
    private readonly IReadOnlyList<IPNetwork> _ranges;
    private readonly byte[] _packet = new byte[2048];

    private RangeTrap(TunDevice device, IReadOnlyList<IPNetwork> ranges)
    {
        _device = device;
        _ranges = ranges;
    }

    /// <summary>The device's name, for the lines that mention it.</summary>
    public string Name => _device.Name;

    /// <summary>The ranges of <c>ipRanges</c> rules whose action is connect.</summary>
    public static IReadOnlyList<IPNetwork> ConnectRanges(IEnumerable<Identity.Contracts.Devices.DeviceOnDemandRule> rules) =>
        [.. rules.Where(r => r.Match == "ipRanges" && r.Action == "connect")
            .SelectMany(r => r.Values)
            .Select(v => IPNetwork.TryParse(v, out IPNetwork range) ? range : (IPNetwork?)null)
            .OfType<IPNetwork>()];

    /// <summary>Creates the device and its routes; a range that cannot be routed here is said on <paramref name="progress"/> and left out.</summary>
    /// <exception cref="TunDeviceException">The device cannot be created.</exception>
    public static RangeTrap Open(IReadOnlyList<IPNetwork> ranges, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentNullException.ThrowIfNull(progress);
        TunDevice device = TunDevice.Create(DeviceName);
        try
        {
            device.SetUp();
            var routed = new List<IPNetwork>();
            foreach (IPNetwork range in ranges)
            {
                try
                {
                    HostCommands.Ip([range.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "-6" : "-4", "route", "add", range.ToString(), "dev", device.Name]);
                    routed.Add(range);
                }
                catch (HostCommandException e)
                {
                    progress.WriteLine($"On-demand: traffic to {range} cannot bring the tunnel up: {e.Message}");
                }
            }

            return new RangeTrap(device, routed);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>The destination of a packet to one of the ranges that came in since the last call, if one did (other packets, such as IPv6 router solicitations, are passed over).</summary>
    public IPAddress? TakeDestination()
    {
        int length;
        while ((length = _device.TryRead(_packet)) > 0)
        {
            IPAddress? destination = (_packet[0] >> 4) switch
            {
                4 when length >= 20 => new IPAddress(_packet.AsSpan(16, 4)),
                6 when length >= 40 => new IPAddress(_packet.AsSpan(24, 16)),
                _ => null,
            };
            if (destination is not null && _ranges.Any(r => r.Contains(destination)))
            {
                return destination;
            }
        }

        return null;
    }

    public void Dispose() => _device.Dispose();
}
