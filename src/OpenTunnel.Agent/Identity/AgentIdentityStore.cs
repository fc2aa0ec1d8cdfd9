using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Agent.Identity;

/// <summary>
/// The agent's files in its data directory (mode 0700), each readable only by its owner (0600)
/// and written whole (a temporary file renamed over the old one, so a crash never leaves half a
/// file): <c>agent.pem</c> holds the certificate and its key together, so a renewal replaces
/// both in one step; <c>management-ca.pem</c> the pinned CA; <c>agent.json</c> the registration.
/// </summary>
public sealed class AgentIdentityStore(string directory)
{
    public const string CredentialFileName = "agent.pem";
    public const string AuthorityFileName = "management-ca.pem";
    public const string RegistrationFileName = "agent.json";

    public const UnixFileMode OwnerOnly = OwnerOnlyFiles.FileMode;

    public string Directory { get; } = directory;

    public string CredentialPath => Path.Combine(Directory, CredentialFileName);

    public string AuthorityPath => Path.Combine(Directory, AuthorityFileName);

    public string RegistrationPath => Path.Combine(Directory, RegistrationFileName);

    public bool IsEnrolled => File.Exists(RegistrationPath) && File.Exists(CredentialPath) && File.Exists(AuthorityPath);

    /// <summary>The stored identity; throws <see cref="InvalidOperationException"/> naming the file when one is missing or broken.</summary>
    public AgentIdentity Load()
    {
        if (!IsEnrolled)
        {
            throw new InvalidOperationException($"The agent is not enrolled: {RegistrationPath}, {CredentialPath} or {AuthorityPath} is missing. Run 'opentunnel-agent enrol'.");
        }

        try
        {
            AgentRegistration registration = JsonSerializer.Deserialize<AgentRegistration>(File.ReadAllText(RegistrationPath), AgentJson.Options)
                ?? throw new InvalidOperationException($"{RegistrationPath} is empty.");
            string credential = File.ReadAllText(CredentialPath);
            X509Certificate2 certificate = X509Certificate2.CreateFromPem(credential, credential);
            X509Certificate2 authority = X509Certificate2.CreateFromPem(File.ReadAllText(AuthorityPath));
            return new AgentIdentity(registration, certificate, authority);
        }
        catch (Exception e) when (e is JsonException or CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"The agent's files in {Directory} cannot be read ({e.Message}); enrol again.", e);
        }
    }

    /// <summary>Writes everything an enrolment gave.</summary>
    public void Save(AgentRegistration registration, string certificatePem, ECDsa key, string authorityPem)
    {
        ArgumentNullException.ThrowIfNull(key);
        PrepareDirectory();
        WriteAtomically(AuthorityPath, authorityPem);
        SaveCredential(certificatePem, key);
        WriteAtomically(RegistrationPath, JsonSerializer.Serialize(registration, AgentJson.Options));
    }

    /// <summary>Replaces the certificate and key together (renewal).</summary>
    public void SaveCredential(string certificatePem, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        WriteAtomically(CredentialPath, certificatePem.TrimEnd() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>Creates the data directory with mode 0700 (and tightens an existing one).</summary>
    public void PrepareDirectory() => OwnerOnlyFiles.CreateDirectory(Directory);

    /// <summary>Writes <paramref name="text"/> to a temporary file of mode 0600 beside <paramref name="path"/> and renames it over it.</summary>
    public static void WriteAtomically(string path, string text) => OwnerOnlyFiles.WriteAtomically(path, text);
}
