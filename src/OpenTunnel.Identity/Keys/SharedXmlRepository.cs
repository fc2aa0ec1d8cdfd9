using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace OpenTunnel.Identity.Keys;

/// <summary>
/// ASP.NET Core data-protection keys (console and sign-in cookies, anti-forgery tokens, TOTP
/// seeds) in the shared store of replicas, so a cookie one replica issued opens on every other.
/// When the store holds none yet, the key files of this replica's data-protection folder are
/// imported first (a single service moving to replicas keeps its cookies and TOTP seeds).
/// </summary>
public sealed class SharedXmlRepository(ISharedSecretStore store, string importDirectory, TimeProvider time) : IXmlRepository
{
    public const string Prefix = "data-protection/";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        IReadOnlyList<SharedSecretEntry> stored = store.List(Prefix);
        if (stored.Count == 0 && Directory.Exists(importDirectory))
        {
            foreach (string file in Directory.GetFiles(importDirectory, "*.xml"))
            {
                store.TryAdd(Prefix + Path.GetFileNameWithoutExtension(file), File.ReadAllText(file), time.GetUtcNow());
            }

            stored = store.List(Prefix);
        }

        return [.. stored.Select(e => XElement.Parse(e.Value))];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        string name = Prefix + (string.IsNullOrEmpty(friendlyName) ? Guid.NewGuid().ToString() : friendlyName);
        if (!store.TryAdd(name, element.ToString(SaveOptions.DisableFormatting), time.GetUtcNow()))
        {
            throw new InvalidOperationException($"The data-protection key {name} exists already in the shared store.");
        }
    }
}
