using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Client.State;

/// <summary>
/// The client's state directory (mode 0700; every file 0600, written whole): <c>signin.json</c>
/// (the refresh token), <c>device-key.pem</c> (the device's P-256 private key, PKCS#8),
/// <c>device.json</c> (the enrolled device), <c>profiles.json</c> (the user's VPN profiles) and, while
/// <c>connect</c> runs, <c>gateway-token</c> and <c>connection.json</c> (openconnect engine) or
/// <c>tunnel.json</c> (native engine).
/// </summary>
public sealed class ClientStateDirectory(string path)
{
    public const string HomeVariable = "OPENTUNNEL_CLIENT_HOME";
    public const string RootDirectory = "/var/lib/opentunnel-client";


    public string Path { get; } = path;

    public string SignInFile => System.IO.Path.Combine(Path, "signin.json");

    public string DeviceFile => System.IO.Path.Combine(Path, "device.json");

    public string DeviceKeyFile => System.IO.Path.Combine(Path, "device-key.pem");

    public string GatewayTokenFile => System.IO.Path.Combine(Path, "gateway-token");

    /// <summary>What a native-engine tunnel changed on the host, while it runs (and after a kill, until the next start repairs it).</summary>
    public string TunnelFile => System.IO.Path.Combine(Path, "tunnel.json");

    /// <summary>Creates the directory (mode 0700) when it does not exist yet.</summary>
    public void EnsureExists() => Prepare();

    public string ProfilesFile => System.IO.Path.Combine(Path, "profiles.json");

    public string ConnectionFile => System.IO.Path.Combine(Path, "connection.json");

    /// <summary>The always-on profile and its openconnect options, while always-on is enabled.</summary>
    public string AlwaysOnFile => System.IO.Path.Combine(Path, "always-on.json");

    /// <summary>The on-demand profile and the stub's address, while on-demand is enabled.</summary>
    public string OnDemandFile => System.IO.Path.Combine(Path, "on-demand.json");

    /// <summary>While <c>on-demand run</c> runs (or after it was killed, until the next start repairs): its PID and the bytes of /etc/resolv.conf before the stub.</summary>
    public string OnDemandStubFile => System.IO.Path.Combine(Path, "on-demand-dns.json");

    /// <summary>The lockdown table's ruleset as nft was given it, while lockdown is on.</summary>
    public string LockdownFile => System.IO.Path.Combine(Path, "lockdown.nft");

    /// <summary>
    /// <c>$OPENTUNNEL_CLIENT_HOME</c> when set; else <c>/var/lib/opentunnel-client</c> for root (a
    /// machine-wide client, as a service runs it); else <c>~/.config/opentunnel</c>.
    /// </summary>
    public static string Locate(string? homeVariable, bool isRoot, string? userHome)
    {
        if (!string.IsNullOrWhiteSpace(homeVariable))
        {
            return homeVariable;
        }

        if (isRoot)
        {
            return RootDirectory;
        }

        if (string.IsNullOrWhiteSpace(userHome))
        {
            throw new ClientStateException($"Neither {HomeVariable} nor HOME is set: set {HomeVariable} to the directory the client keeps its state in.");
        }

        return System.IO.Path.Combine(userHome, ".config", "opentunnel");
    }

    public SignInState LoadSignIn() =>
        Load(SignInFile, StateJson.Default.SignInState) ?? throw new ClientStateException($"Not signed in ({SignInFile} does not exist): run 'opentunnel signin --server URL'.");

    public void SaveSignIn(SignInState state) => Save(SignInFile, state, StateJson.Default.SignInState);

    public EnrolledDevice? FindDevice() => Load(DeviceFile, StateJson.Default.EnrolledDevice);

    public EnrolledDevice LoadDevice() =>
        FindDevice() ?? throw new ClientStateException($"This device is not enrolled ({DeviceFile} does not exist): run 'opentunnel enrol'.");

    public void SaveDevice(EnrolledDevice device) => Save(DeviceFile, device, StateJson.Default.EnrolledDevice);

    /// <summary>The profiles fetched last, or null when none were fetched yet.</summary>
    public StoredProfiles? FindProfiles() => Load(ProfilesFile, StateJson.Default.StoredProfiles);

    public void SaveProfiles(StoredProfiles profiles) => Save(ProfilesFile, profiles, StateJson.Default.StoredProfiles);

    /// <summary>The connection <c>connect</c> recorded, or null.</summary>
    public ConnectionState? FindConnection() => Load(ConnectionFile, StateJson.Default.ConnectionState);

    public void SaveConnection(ConnectionState connection) => Save(ConnectionFile, connection, StateJson.Default.ConnectionState);

    /// <summary>The recorded connection while its process runs; a record left by a client that was killed is no connection.</summary>
    public ConnectionState? RunningConnection() =>
        FindConnection() is { } recorded && Directory.Exists($"/proc/{recorded.ProcessId}") ? recorded : null;

    /// <summary>The always-on setting, or null when always-on is not enabled.</summary>
    public AlwaysOnSetting? FindAlwaysOn() => Load(AlwaysOnFile, StateJson.Default.AlwaysOnSetting);

    public void SaveAlwaysOn(AlwaysOnSetting setting) => Save(AlwaysOnFile, setting, StateJson.Default.AlwaysOnSetting);

    /// <summary>The on-demand setting, or null when on-demand is not enabled.</summary>
    public OnDemandSetting? FindOnDemand() => Load(OnDemandFile, StateJson.Default.OnDemandSetting);

    public void SaveOnDemand(OnDemandSetting setting) => Save(OnDemandFile, setting, StateJson.Default.OnDemandSetting);

    /// <summary>The device key: the stored one, or (when <paramref name="create"/>) a new P-256 key written with mode 0600 first.</summary>
    public ECDsa LoadDeviceKey(bool create = false)
    {
        if (File.Exists(DeviceKeyFile))
        {
            var key = ECDsa.Create();
            try
            {
                key.ImportFromPem(File.ReadAllText(DeviceKeyFile));
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                key.Dispose();
                throw new ClientStateException($"{DeviceKeyFile} is not a PEM private key ({e.Message}); delete it and {DeviceFile}, then enrol again.", e);
            }

            if (key.KeySize != 256)
            {
                key.Dispose();
                throw new ClientStateException($"{DeviceKeyFile} holds a {key.KeySize}-bit key; the device key is EC P-256. Delete it and {DeviceFile}, then enrol again.");
            }

            return key;
        }

        if (!create)
        {
            throw new ClientStateException($"The device key {DeviceKeyFile} is missing: enrol again ('opentunnel enrol', after deleting {DeviceFile}).");
        }

        var generated = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Prepare();
        OwnerOnlyFiles.WriteAtomically(DeviceKeyFile, generated.ExportPkcs8PrivateKeyPem() + "\n");
        return generated;
    }

    /// <summary>Writes a secret (a token) to <paramref name="file"/> with mode 0600.</summary>
    public static void WriteSecret(string file, string text)
    {
        string? folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file));
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new ClientStateException($"Cannot write {file}: the directory {folder} does not exist.");
        }

        OwnerOnlyFiles.WriteAtomically(file, text);
    }

    private void Prepare() => OwnerOnlyFiles.CreateDirectory(Path);

    private void Save<T>(string file, T value, JsonTypeInfo<T> json)
    {
        Prepare();
        OwnerOnlyFiles.WriteAtomically(file, JsonSerializer.Serialize(value, json) + "\n");
    }

    private static T? Load<T>(string file, JsonTypeInfo<T> json)
        where T : class
    {
        if (!File.Exists(file))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(file), json) ?? throw new JsonException("the file holds null");
        }
        catch (JsonException e)
        {
            throw new ClientStateException($"{file} cannot be read ({e.Message}); delete it and run the verb that writes it again.", e);
        }
    }
}
