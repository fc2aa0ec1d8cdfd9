using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpenTunnel.Bench.Report;

/// <summary>The JSON a run leaves under bench/results/: the same figures as the table, with every sample.</summary>
internal static class ResultsDocument
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Render(ResultSet results, RunInfo info)
    {
        var figures = results.Figures.Select(f => new FigureDocument(
            f.Key,
            f.Label,
            f.Unit,
            f.HigherIsBetter,
            results.Get(f, Target.OpenTunnel),
            results.Get(f, Target.OpenTunnelNative),
            results.Get(f, Target.Ocserv),
            results.Get(f, Target.Direct),
            results.Ratio(f, Target.Ocserv),
            results.Ratio(f, Target.Direct),
            results.Ratio(f, Target.OpenTunnelNative, Target.OpenTunnel)));
        var document = new RunDocument(
            info.Started,
            info.DurationSeconds,
            info.Machine,
            info.Versions,
            info.Options,
            [.. figures],
            NativeGoal.Evaluate(results) is { Count: > 0 } goal ? goal : null,
            results.Notes,
            results.Errors);
        return JsonSerializer.Serialize(document, Options);
    }

    /// <summary>Writes the document to <paramref name="folder"/> as bench-YYYYMMDDTHHMMSSZ.json and returns the path.</summary>
    public static string Write(string folder, ResultSet results, RunInfo info)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, $"bench-{info.Started.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.json");
        File.WriteAllText(path, Render(results, info) + "\n");
        return path;
    }

    private sealed record FigureDocument(
        string Key,
        string Label,
        string Unit,
        bool HigherIsBetter,
        Summary? Opentunnel,
        [property: JsonPropertyName("opentunnel-native")] Summary? OpentunnelNative,
        Summary? Ocserv,
        Summary? Direct,
        double? RatioOpentunnelOcserv,
        double? RatioOpentunnelDirect,
        double? RatioNativeOpenconnect);

    private sealed record RunDocument(
        DateTimeOffset Date,
        double DurationSeconds,
        MachineInfo Machine,
        IReadOnlyDictionary<string, string> Versions,
        IReadOnlyDictionary<string, string> Options,
        IReadOnlyList<FigureDocument> Figures,
        IReadOnlyList<GoalCheck>? NativeGoal,
        IReadOnlyList<string> Notes,
        IReadOnlyList<string> Errors);
}
