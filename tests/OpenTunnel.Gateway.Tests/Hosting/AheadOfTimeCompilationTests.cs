using System.Reflection;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Gateway.Tests.Hosting;

/// <summary>
/// ReadyToRun (the gateway as it ships) leaves to the JIT every method whose signature, or
/// whose callee's signature, carries an Int128 or UInt128, or a type with such a field: their
/// layout is not fixed across ABIs. When the session and packet types carried one, the first
/// packets after a start waited while the JIT compiled the data path.
/// </summary>
[Trait("Category", "Unit")]
public sealed class AheadOfTimeCompilationTests
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    [Fact]
    public void NoGatewayOrPacketType_CarriesA128BitInteger()
    {
        var found = new List<string>();
        foreach (var type in new[] { typeof(GatewaySession).Assembly, typeof(IpPacket).Assembly }.SelectMany(a => a.GetTypes()))
        {
            found.AddRange(type.GetFields(Declared).Where(f => Is128(f.FieldType)).Select(f => $"field {type.FullName}.{f.Name}"));
            foreach (MethodBase method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            {
                bool returns128 = method is MethodInfo info && Is128(info.ReturnType);
                if (returns128 || method.GetParameters().Any(p => Is128(p.ParameterType)))
                {
                    found.Add($"method {type.FullName}.{method.Name}");
                }
            }
        }

        Assert.True(found.Count == 0, "These carry Int128 or UInt128 (use Ipv6Number):\n" + string.Join('\n', found));
    }

    /// <summary>The type, its element type (arrays, by-ref) or one of its generic arguments (nullables, dictionary keys) is a 128-bit integer.</summary>
    private static bool Is128(Type type)
    {
        var element = type.HasElementType ? type.GetElementType()! : type;
        return element == typeof(UInt128) || element == typeof(Int128) || element.IsGenericType && element.GetGenericArguments().Any(Is128);
    }
}
