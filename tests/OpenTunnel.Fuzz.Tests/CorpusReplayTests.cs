namespace OpenTunnel.Fuzz.Tests;

/// <summary>
/// Every input of the checked-in corpus (fuzz/corpus/TARGET: seeds from real openconnect 9.01
/// captures, inputs the fuzzer found interesting, and every crash or hang it found) replayed
/// through the same target code the fuzzer runs, so a parser change that brings back a finding
/// fails here without a fuzzing run.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CorpusReplayTests
{
    public static TheoryData<string> Targets => new(FuzzTargets.All.Keys);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Corpus_EveryInput_HandledAsDesigned(string target)
    {
        var files = CorpusFiles(target);
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            var exception = Record.Exception(() => FuzzTargets.All[target](File.ReadAllBytes(file)));
            Assert.True(exception is null, $"{target}: {Path.GetFileName(file)} failed: {exception}");
        }
    }

    [Fact]
    public void Corpus_EveryFolderIsATarget()
    {
        var folders = Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "corpus")).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(FuzzTargets.All.Keys.Order(StringComparer.Ordinal), folders);
    }

    /// <summary>The corpus files of <paramref name="target"/>, in name order.</summary>
    internal static string[] CorpusFiles(string target) =>
        [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "corpus", target)).Order(StringComparer.Ordinal)];
}
