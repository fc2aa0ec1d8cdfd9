using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>What a restart needs of a session to accept its cookie again and give it back its addresses.</summary>
public sealed record SavedSession(string CookieHash, long Id, string UserName, string? Subject, string? DeviceId, IPEndPoint ClientEndPoint,
    DateTimeOffset SignedInAt, uint IPv4Address, Ipv6Number IPv6Address)
{
    /// <summary>The token's groups, which decide the session's routes (Network:GroupPolicies); null when the file had none.</summary>
    public IReadOnlyList<string>? Groups { get; init; }

    /// <summary>The session is of an unmanaged device (Network:UnmanagedAccess); a restart must not give it more.</summary>
    public bool Unmanaged { get; init; }

    public static SavedSession Of(GatewaySession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new(session.CookieHash, session.Id, session.UserName, session.Subject, session.DeviceId, session.ClientEndPoint, session.SignedInAt,
            session.IPv4Address, session.IPv6Address) { Groups = session.Groups, Unmanaged = session.Unmanaged };
    }
}

/// <summary>
/// The gateway's session file (<c>DATA/sessions.json</c>): for each session the SHA-256 of its
/// cookie, never the cookie, with its id, user, subject, device, groups, whether the device is unmanaged, client address, sign-in time and
/// leased addresses. Pure text in and out; <see cref="SessionStore"/> reads and writes the file.
/// </summary>
public static class SessionFile
{
    /// <summary>The file's name in the data directory.</summary>
    public const string FileName = "sessions.json";

    /// <summary>The most sessions a file may hold: the largest Limits:MaxSessions.</summary>
    public const int MaxSessions = 65535;

    private const int Version = 1;

    /// <summary>The file's content (UTF-8 JSON), written with a streaming writer: at 10,000 sessions the gateway writes it about once a second.</summary>
    public static byte[] Serialize(IReadOnlyList<SavedSession> sessions)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        var buffer = new ArrayBufferWriter<byte>(256 + (sessions.Count * 320));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", Version);
            json.WriteStartArray("sessions");
            foreach (var session in sessions)
            {
                WriteEntry(json, session);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The sessions of a file's text; throws <see cref="FormatException"/> naming the first problem.</summary>
    public static IReadOnlyList<SavedSession> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(text) as JsonObject ?? throw new FormatException("not a JSON object");
        }
        catch (JsonException e)
        {
            throw new FormatException($"not JSON ({e.Message})", e);
        }

        if (Integer(root, "version") != Version)
        {
            throw new FormatException($"version {root["version"]?.ToJsonString() ?? "missing"}, expected {Version}");
        }

        var entries = root["sessions"] as JsonArray ?? throw new FormatException("no 'sessions' array");
        if (entries.Count > MaxSessions)
        {
            throw new FormatException($"{entries.Count} sessions, more than the {MaxSessions} a gateway can hold");
        }

        var sessions = new List<SavedSession>(entries.Count);
        foreach (var node in entries)
        {
            var entry = node as JsonObject ?? throw new FormatException($"session {sessions.Count + 1} is not an object");
            try
            {
                sessions.Add(Entry(entry));
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException)
            {
                throw new FormatException($"session {sessions.Count + 1}: {e.Message}", e);
            }
        }

        return sessions;
    }

    private static void WriteEntry(Utf8JsonWriter json, SavedSession session)
    {
        json.WriteStartObject();
        json.WriteString("cookieSha256", session.CookieHash);
        json.WriteNumber("id", session.Id);
        json.WriteString("user", session.UserName);
        json.WriteString("client", session.ClientEndPoint.ToString());
        json.WriteString("signedInAt", session.SignedInAt.ToString("O", CultureInfo.InvariantCulture));
        WriteIfPresent(json, "subject", session.Subject);
        WriteIfPresent(json, "device", session.DeviceId);
        if (session.Groups is { Count: > 0 } groups)
        {
            json.WriteStartArray("groups");
            foreach (string group in groups)
            {
                json.WriteStringValue(group);
            }

            json.WriteEndArray();
        }

        if (session.Unmanaged)
        {
            json.WriteBoolean("unmanaged", true);
        }

        WriteIfPresent(json, "ipv4", session.IPv4Address == 0 ? null : IPv4AddressPool.ToAddress(session.IPv4Address).ToString());
        WriteIfPresent(json, "ipv6", session.IPv6Address.ToAddressOrNull()?.ToString());
        json.WriteEndObject();
    }

    private static SavedSession Entry(JsonObject entry)
    {
        string hash = Text(entry, "cookieSha256") ?? throw new FormatException("no 'cookieSha256'");
        if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower))
        {
            throw new FormatException("'cookieSha256' is not 64 lower-case hexadecimal digits");
        }

        long id = Integer(entry, "id") is { } n and > 0 ? n : throw new FormatException("'id' is not a positive integer");
        string user = Text(entry, "user") is { Length: > 0 } name ? name : throw new FormatException("no 'user'");
        var client = IPEndPoint.Parse(Text(entry, "client") ?? throw new FormatException("no 'client'"));
        var signedInAt = DateTimeOffset.Parse(Text(entry, "signedInAt") ?? throw new FormatException("no 'signedInAt'"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        uint ipv4 = Text(entry, "ipv4") is { } v4 ? IPv4AddressPool.ToUInt32(Address(v4, AddressFamily.InterNetwork, "ipv4", "IPv4")) : 0;
        Ipv6Number ipv6 = Text(entry, "ipv6") is { } v6 ? Ipv6Number.Of(Address(v6, AddressFamily.InterNetworkV6, "ipv6", "IPv6")) : Ipv6Number.Zero;
        List<string>? groups = entry["groups"] is JsonArray list
            ? [.. list.Select(g => g?.GetValue<string>() ?? throw new FormatException("'groups' holds a null"))]
            : null;
        bool unmanaged = entry["unmanaged"] is JsonValue flag && (flag.TryGetValue(out bool set) ? set : throw new FormatException("'unmanaged' is not true or false"));
        return new SavedSession(hash, id, user, Text(entry, "subject"), Text(entry, "device"), client, signedInAt, ipv4, ipv6) { Groups = groups, Unmanaged = unmanaged };
    }

    private static IPAddress Address(string text, AddressFamily family, string name, string familyName) =>
        IPAddress.TryParse(text, out var address) && address.AddressFamily == family ? address : throw new FormatException($"'{name}' is not an {familyName} address: '{text}'");

    private static string? Text(JsonObject entry, string name) => entry[name]?.GetValue<string>();

    private static long? Integer(JsonObject entry, string name) => entry[name] is JsonValue value && value.TryGetValue(out long n) ? n : null;

    private static void WriteIfPresent(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
