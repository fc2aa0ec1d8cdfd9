namespace OpenTunnel.Identity.Keys;

/// <summary>One named secret as stored, decrypted.</summary>
public sealed record SharedSecretEntry(string Name, string Value, DateTimeOffset CreatedAt);

/// <summary>
/// Secrets kept where every replica of the hosting service finds them (the shared database),
/// encrypted at rest by the store. A name is written once: <see cref="TryAdd"/> refuses a name that
/// exists, so two replicas that create the same secret at once keep one and the loser reads it.
/// </summary>
public interface ISharedSecretStore
{
    /// <summary>The secrets whose names start with <paramref name="prefix"/>, in name order.</summary>
    IReadOnlyList<SharedSecretEntry> List(string prefix);

    /// <summary>Stores <paramref name="value"/> under <paramref name="name"/>; false when that name exists already (nothing is written).</summary>
    bool TryAdd(string name, string value, DateTimeOffset createdAt);

    /// <summary>Deletes the secret if it exists.</summary>
    void Delete(string name);
}

/// <summary>Helpers over <see cref="ISharedSecretStore"/>.</summary>
public static class SharedSecretStoreExtensions
{
    /// <summary>The value stored under <paramref name="name"/>, or the one <paramref name="create"/> makes, stored first; whoever stores first wins.</summary>
    public static string GetOrAdd(this ISharedSecretStore store, string name, Func<string> create, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(create);
        if (Find(store, name) is { } existing)
        {
            return existing.Value;
        }

        string made = create();
        if (store.TryAdd(name, made, now))
        {
            return made;
        }

        return Find(store, name)?.Value
            ?? throw new InvalidOperationException($"The shared secret {name} could neither be stored nor read back.");
    }

    public static SharedSecretEntry? Find(this ISharedSecretStore store, string name)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.List(name).FirstOrDefault(e => e.Name == name);
    }
}
