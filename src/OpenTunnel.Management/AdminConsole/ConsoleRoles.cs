using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Settings;

namespace OpenTunnel.Management.AdminConsole;

/// <summary>
/// The API's role a person gets in the console from the groups the identity provider reports:
/// full-admin when one of them is a full-admin group, else read-only when one is a read-only
/// group, else none (the person is refused). Group names compare exactly, as the directory stores them.
/// </summary>
public static class ConsoleRoles
{
    public static string? For(IEnumerable<string> groups, ConsoleOptions options)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(options);
        bool readOnly = false;
        foreach (string group in groups)
        {
            if (options.FullAdminGroups.Contains(group, StringComparer.Ordinal))
            {
                return ManagementRoles.FullAdmin;
            }

            readOnly |= options.ReadOnlyGroups.Contains(group, StringComparer.Ordinal);
        }

        return readOnly ? ManagementRoles.ReadOnly : null;
    }
}
