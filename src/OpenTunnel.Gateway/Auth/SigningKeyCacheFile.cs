using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// The discovery document and the signing keys last fetched from the issuer, saved in the gateway's
/// data directory (<see cref="FileName"/>) so that a gateway started while the issuer cannot be
/// reached still checks the tokens it issued before. Only public key members are saved: a private
/// member a misconfigured issuer might publish, and symmetric keys, are left out. The file is
/// owner-only, written whole and renamed into place; a failed save is logged once until a save
/// succeeds again.
/// </summary>
internal sealed class SigningKeyCacheFile(string path, ILogger logger)
{
    public const string FileName = "issuer-keys.json";

    // RFC 7518 section 6: the private members of RSA and EC keys, and the secret of "oct" keys.
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    private bool _unsaved;

    public string Path { get; } = path;

    /// <summary>Saves what one fetch got; called one fetch at a time.</summary>
    public void Save(string metadataAddress, string discoveryJson, string jwksJson, DateTimeOffset fetchedAt)
    {
        string text;
        try
        {
            text = new JsonObject
            {
                ["metadataAddress"] = metadataAddress,
                ["fetchedAt"] = fetchedAt.ToString("O", CultureInfo.InvariantCulture),
                ["discovery"] = JsonNode.Parse(discoveryJson),
                ["jwks"] = PublicKeysOnly(jwksJson),
            }.ToJsonString();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            AuthLog.SigningKeysNotSaved(logger, Path, "the issuer's documents are not the JSON expected: " + e.Message);
            return;
        }

        try
        {
            OwnerOnlyFiles.WriteAtomically(Path, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!_unsaved)
            {
                AuthLog.SigningKeysNotSaved(logger, Path, e.Message);
            }

            _unsaved = true;
            return;
        }

        if (_unsaved)
        {
            AuthLog.SigningKeysSavedAgain(logger, Path);
        }

        _unsaved = false;
    }

    /// <summary>
    /// The keys saved for <paramref name="metadataAddress"/>, with the time they were fetched; null,
    /// with <paramref name="problem"/> saying why, when there is no file, it is for another issuer,
    /// older than <paramref name="maximumAge"/> at <paramref name="now"/>, or unusable.
    /// </summary>
    public (ICollection<SecurityKey> Keys, DateTimeOffset FetchedAt)? Load(string metadataAddress, DateTimeOffset now, TimeSpan maximumAge, out string? problem)
    {
        problem = null;
        try
        {
            if (!File.Exists(Path))
            {
                problem = $"no keys were saved in {Path}";
                return null;
            }

            JsonNode saved = JsonNode.Parse(File.ReadAllText(Path)) ?? throw new JsonException("the file holds null");
            if (saved["metadataAddress"]?.GetValue<string>() is not { } savedAddress || !string.Equals(savedAddress, metadataAddress, StringComparison.Ordinal))
            {
                problem = $"the keys saved in {Path} are from {saved["metadataAddress"]?.ToJsonString() ?? "an unnamed source"}, not {metadataAddress}";
                return null;
            }

            DateTimeOffset fetchedAt = DateTimeOffset.Parse(Member(saved, "fetchedAt").GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            if (now - fetchedAt > maximumAge)
            {
                problem = $"the keys saved in {Path} were fetched at {fetchedAt:O}, more than {AuthOptions.SectionName}:{nameof(AuthOptions.CachedKeysMaximumAge)} ({maximumAge}) ago";
                return null;
            }

            // Parsed for its checks: a discovery document that no longer parses makes the file unusable.
            _ = OpenIdConnectConfiguration.Create(Member(saved, "discovery").ToJsonString());
            var keys = new List<SecurityKey>(new JsonWebKeySet(Member(saved, "jwks").ToJsonString()).GetSigningKeys());
            if (keys.Count == 0)
            {
                problem = $"{Path} holds no usable signing key";
                return null;
            }

            return (keys, fetchedAt);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            problem = $"{Path} cannot be used: {TokenRefusalDetails.RootCause(e)}";
            return null;
        }
    }

    private static JsonNode Member(JsonNode saved, string name) =>
        saved[name] ?? throw new FormatException($"it has no \"{name}\"");

    private static JsonObject PublicKeysOnly(string jwksJson)
    {
        var keys = new JsonArray();
        foreach (JsonNode? key in JsonNode.Parse(jwksJson)?["keys"]?.AsArray() ?? [])
        {
            if (key is not JsonObject member || member["kty"]?.GetValue<string>() is null or "oct")
            {
                continue;
            }

            var copy = (JsonObject)member.DeepClone();
            foreach (string name in PrivateMembers)
            {
                copy.Remove(name);
            }

            keys.Add((JsonNode)copy);
        }

        return new JsonObject { ["keys"] = keys };
    }
}
