using System.Globalization;
using System.Text.Json.Nodes;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Connections;
using OpenTunnel.Gateway.Contracts.Control;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.SignIn;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Control;

/// <summary>
/// What the control API can do, like occtl's verbs: status, sessions, disconnect (the cookie
/// stays valid and the client reconnects), terminate (the cookie is revoked), revoke (terminate, and
/// the target's tokens issued until now are refused: continuous access evaluation), reload (a file),
/// apply (a JSON configuration document), drain (<c>"enabled": true|false</c>: no new sessions), bans (the
/// ban table, like occtl's show ip bans), unban (a client address, like occtl's unban ip) and ended-sessions (the
/// access records the management agent takes, see <see cref="EndedSessionJournal"/>). Requests are <c>{"command": ..., ...}</c>.
/// </summary>
internal sealed class ControlCommands
{
    private readonly IGatewayHost _host;
    private readonly SessionTable _sessions;
    private readonly SessionSupervisor _supervisor;
    private readonly SignInService _signIn;
    private readonly PacketCounters _counters;
    private readonly PreAuthBudget _preAuth;
    private readonly SessionStore? _store;

    /// <summary><paramref name="store"/>: the session file, written before terminate answers (null: the sessions are not saved).</summary>
    public ControlCommands(IGatewayHost host, SessionTable sessions, SessionSupervisor supervisor, SignInService signIn, PacketCounters counters, PreAuthBudget preAuth, SessionStore? store = null)
    {
        _preAuth = preAuth;
        _store = store;
        _host = host;
        _sessions = sessions;
        _supervisor = supervisor;
        _signIn = signIn;
        _counters = counters;
    }

    public async Task<JsonNode> ExecuteAsync(JsonObject request)
    {
        string command = request["command"]?.GetValue<string>() ?? throw new ControlRequestException("the request has no \"command\"");
        switch (command)
        {
            case ControlRequest.Status:
                return Status();
            case ControlRequest.Sessions:
                return Sessions();
            case ControlRequest.Disconnect:
            {
                string target = Target(request);
                int count = _supervisor.Disconnect(target);
                return Count(command, target, count);
            }

            case ControlRequest.Terminate:
            {
                string target = Target(request);
                int count = await _supervisor.TerminateAsync(target);

                // Saved before the answer: a crash right after must not bring the sessions back.
                // (A revoke needs no such write: the revocation file is written at once, and a
                // restart does not restore the sessions it covers.)
                _store?.SaveNow();
                return Count(command, target, count);
            }

            case ControlRequest.Revoke:
            {
                string target = Target(request);
                DateTimeOffset revokedAt = _signIn.Revocations.Revoke(target, Moment(request));
                int count = await _supervisor.TerminateAsync(target, revokedAt);
                return new JsonObject { ["command"] = command, ["target"] = target, ["sessions"] = count, ["revokedAt"] = revokedAt, ["saved"] = _signIn.Revocations.Saved };
            }

            case ControlRequest.Reload:
            {
                var applied = _host.Reload(request["file"]?.GetValue<string>());
                return new JsonObject { ["origin"] = applied.Origin, ["appliedAt"] = applied.AppliedAt };
            }

            case ControlRequest.Drain:
            {
                bool enabled = request["enabled"]?.GetValue<bool>() ?? true;
                _signIn.Draining = enabled;
                return new JsonObject { ["draining"] = enabled, ["sessions"] = _sessions.Count };
            }

            case ControlRequest.Apply:
            {
                var document = request["configuration"] as JsonObject ?? throw new ControlRequestException("apply needs a \"configuration\" object");
                var options = GatewayConfigurationLoader.LoadJson(document.ToJsonString());
                var applied = _host.Apply(options, "control apply");
                return new JsonObject { ["origin"] = applied.Origin, ["appliedAt"] = applied.AppliedAt };
            }

            case ControlRequest.Bans:
                return Bans();

            case ControlRequest.Unban:
            {
                string target = request["target"]?.GetValue<string>() ?? throw new ControlRequestException("unban needs a \"target\": a client address, or an IPv6 /64 as 'bans' lists it");
                if (!ClientAddressKey.TryParse(target, out ClientAddressKey client))
                {
                    throw new ControlRequestException($"'{target}' is not a client address: give an IPv4 or IPv6 address, or an IPv6 /64 as 'bans' lists it (2001:db8:1::/64)");
                }

                if (!_signIn.Unban(client))
                {
                    throw new ControlRequestException($"the ban table holds nothing for {client}");
                }

                return new JsonObject { ["command"] = command, ["client"] = client.ToString() };
            }

            case ControlRequest.EndedSessions:
                return EndedSessions(request);

            default:
                throw new ControlRequestException($"unknown command '{command}' (status, sessions, disconnect, terminate, revoke, reload, apply, drain, bans, unban, ended-sessions)");
        }
    }

    private JsonObject Status()
    {
        var configuration = _host.Current;
        var drops = new JsonObject();
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            drops[MetricLabel.Of(reason)] = _counters.Drops(reason);
        }

        int connected = 0;
        foreach (var session in _sessions.Snapshot())
        {
            if (session.Connection is not null)
            {
                connected++;
            }
        }

        return new JsonObject
        {
            ["startedAt"] = _host.StartedAt,
            ["listen"] = _host.ListenEndPoint.ToString(),
            ["sessions"] = _sessions.Count,
            ["connected"] = connected,
            ["draining"] = _signIn.Draining,
            ["preAuthConnections"] = _preAuth.Count,
            ["preAuthClients"] = _preAuth.Clients,
            ["bannedClients"] = _signIn.Bans.BannedCount,
            ["pool"] = configuration.Tunnel.Pool.ToString(),
            ["poolCapacity"] = _supervisor.Pool.Capacity,
            ["poolLeased"] = _supervisor.Pool.LeasedCount,
            ["pool6"] = configuration.Tunnel.IPv6Pool?.ToString(),
            ["certificate"] = new JsonObject
            {
                ["subject"] = configuration.Certificate.Certificate.Subject,
                ["notAfter"] = configuration.Certificate.NotAfter,
                ["pinSha256"] = configuration.Certificate.Pin,
                ["file"] = configuration.Certificate.Source,
            },
            ["configuration"] = new JsonObject { ["origin"] = configuration.Origin, ["appliedAt"] = configuration.AppliedAt },
            ["metrics"] = _host.MetricsEndPoint?.ToString(),
            ["packetsFromClients"] = _counters.PacketsFromClients,
            ["bytesFromClients"] = _counters.BytesFromClients,
            ["packetsToClients"] = _counters.PacketsToClients,
            ["bytesToClients"] = _counters.BytesToClients,
            ["dropped"] = drops,
            ["dtls"] = DtlsStatus(),
        };
    }

    /// <summary>A session's DTLS side: its channel (client address, suite) and the bytes that went over DTLS; null without one.</summary>
    private static JsonObject? Dtls(SessionDataPath path)
    {
        if (path.Dtls is not { } binding)
        {
            return null;
        }

        var channel = path.DtlsChannel;
        return new JsonObject
        {
            ["established"] = channel is { IsOpen: true },
            ["client"] = channel?.RemoteEndPoint.ToString(),
            ["suite"] = channel?.CipherSuite.Name,
            ["bytesIn"] = binding.BytesFromClient,
            ["bytesOut"] = binding.BytesToClient,
        };
    }

    /// <summary>The DTLS listener's counters (handshakes by result, drops by reason); null when Udp:Enabled is false.</summary>
    private JsonObject? DtlsStatus()
    {
        if (_host.Dtls is not { } dtls)
        {
            return null;
        }

        var counters = dtls.Listener.Counters;
        var handshakes = new JsonObject();
        foreach (var result in Enum.GetValues<DtlsHandshakeResult>())
        {
            handshakes[MetricLabel.Of(result)] = counters.Handshakes(result);
        }

        var dropped = new JsonObject();
        foreach (var reason in Enum.GetValues<DtlsDropReason>())
        {
            dropped[MetricLabel.Of(reason)] = counters.Drops(reason);
        }

        return new JsonObject
        {
            ["listen"] = "udp/" + dtls.Listener.LocalEndPoint,
            ["channels"] = dtls.Listener.ActiveChannels,
            ["handshakesRunning"] = dtls.Listener.HandshakesRunning,
            ["handshakes"] = handshakes,
            ["dropped"] = dropped,
            ["helloVerifyRequests"] = counters.HelloVerifyRequests,
            ["rebinds"] = counters.Rebinds,
        };
    }

    /// <summary>The ban table: clients banned now, then clients with a score, as occtl's show ip bans points.</summary>
    private JsonArray Bans()
    {
        var list = new JsonArray();
        foreach (var entry in _signIn.Bans.Snapshot(BanPolicy.From(_host.Current.Options.Limits)))
        {
            list.Add((JsonNode)new JsonObject
            {
                ["client"] = entry.Client.ToString(),
                ["score"] = entry.Score,
                ["lastPointAt"] = entry.LastPointAt,
                ["bannedUntil"] = entry.BannedUntil,
            });
        }

        return list;
    }

    private JsonArray Sessions()
    {
        var list = new JsonArray();
        foreach (var session in _sessions.Snapshot())
        {
            list.Add((JsonNode)new JsonObject
            {
                ["id"] = session.Id,
                ["user"] = session.UserName,
                ["subject"] = session.Subject,
                ["deviceId"] = session.DeviceId,
                ["unmanaged"] = session.Unmanaged,
                ["address"] = session.IPv4Address == 0 ? null : IPv4AddressPool.ToAddress(session.IPv4Address).ToString(),
                ["address6"] = session.IPv6Address.ToAddressOrNull()?.ToString(),
                ["client"] = session.ClientEndPoint.ToString(),
                ["bytesIn"] = session.BytesFromClient,
                ["bytesOut"] = session.BytesToClient,
                ["packetsIn"] = session.PacketsFromClient,
                ["packetsOut"] = session.PacketsToClient,
                ["signedInAt"] = session.SignedInAt,
                ["connectedSince"] = session.DataPath.ConnectedSince,
                ["channel"] = session.Connection is null ? "none" : session.DataPath.Sink?.Name ?? "none",
                ["dtls"] = Dtls(session.DataPath),
            });
        }

        return list;
    }

    /// <summary>
    /// The ended sessions waiting for the agent, after forgetting those it acknowledges:
    /// <c>{"journal": id, "acknowledge": highest sequence it stored, "limit": 1 to 1000}</c>.
    /// </summary>
    private JsonNode EndedSessions(JsonObject request)
    {
        Guid? journal;
        long acknowledged;
        int limit;
        try
        {
            journal = request["journal"] is { } given
                ? Guid.TryParse(given.GetValue<string>(), out Guid id) ? id : throw new ControlRequestException($"\"journal\" '{given}' is not a journal id (a GUID from an earlier answer)")
                : null;
            acknowledged = request["acknowledge"]?.GetValue<long>() ?? 0;
            limit = request["limit"]?.GetValue<int>() ?? ControlRequest.MaximumEndedSessions;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new ControlRequestException($"ended-sessions takes \"journal\" (a GUID), \"acknowledge\" and \"limit\" (whole numbers): {e.Message}", e);
        }

        if (limit is < 1 or > ControlRequest.MaximumEndedSessions)
        {
            throw new ControlRequestException($"\"limit\" is {limit}; it must be from 1 to {ControlRequest.MaximumEndedSessions}");
        }

        var kept = _supervisor.EndedSessions;
        var records = new List<EndedSessionRecord>();
        foreach (EndedSession ended in kept.Read(journal, acknowledged, limit))
        {
            records.Add(new EndedSessionRecord(ended.Sequence, ended.RecordId, ended.SessionId, ended.UserName, ended.Subject, ended.DeviceId, ended.Client.ToString(),
                ended.IPv4Address == 0 ? null : IPv4AddressPool.ToAddress(ended.IPv4Address).ToString(),
                ended.IPv6Address.ToAddressOrNull()?.ToString(),
                ended.SignedInAt, ended.EndedAt, ended.Reason, ended.BytesFromClient, ended.BytesToClient));
        }

        return new EndedSessionsAnswer(kept.Id, kept.Dropped, records).ToJson();
    }

    private static string Target(JsonObject request) =>
        request["target"]?.GetValue<string>() is { Length: > 0 } target ? target : throw new ControlRequestException("this command needs a \"target\": a session id, a user name, a subject (sub) or a device id");

    /// <summary>The optional <c>"at"</c> of a request (ISO 8601, UTC when it names no offset).</summary>
    private static DateTimeOffset? Moment(JsonObject request)
    {
        if (request["at"] is not { } given)
        {
            return null;
        }

        return DateTimeOffset.TryParse(given.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at)
            ? at
            : throw new ControlRequestException($"\"at\" '{given}' is not a date and time (ISO 8601)");
    }

    private static JsonObject Count(string command, string target, int count) =>
        count == 0
            ? throw new ControlRequestException($"no session matches '{target}'")
            : new JsonObject { ["command"] = command, ["target"] = target, ["sessions"] = count };
}
