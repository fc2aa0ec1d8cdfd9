using System.Text;

namespace OpenTunnel.Gateway.Metrics;

/// <summary>
/// The label (tag value) of an enum member in the gateway's metrics and control API: snake_case, as
/// OpenTelemetry semantic conventions write them, computed once per enum. A run of capitals is one
/// word, so <c>NoIPv6Address</c> is <c>no_ipv6_address</c> and <c>AuthenticationFailed</c> is
/// <c>authentication_failed</c>.
/// </summary>
public static class MetricLabel
{
    /// <summary>The label of <paramref name="value"/>.</summary>
    public static string Of<T>(T value)
        where T : struct, Enum => Labels<T>.Of(value);

    /// <summary>snake_case of a PascalCase name: an underscore before a capital that follows a lower-case letter or a digit.</summary>
    internal static string ToSnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && !char.IsUpper(name[i - 1]))
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }

    private static class Labels<T>
        where T : struct, Enum
    {
        private static readonly Dictionary<T, string> Values = Enum.GetValues<T>().ToDictionary(v => v, v => ToSnakeCase(v.ToString()));

        public static string Of(T value) => Values.TryGetValue(value, out string? label) ? label : ToSnakeCase(value.ToString());
    }
}
