namespace OpenTunnel.Bench.Report;

/// <summary>The machine a run measured on.</summary>
internal sealed record MachineInfo(int Cores, string CpuModel, double MemoryGib, string Kernel, string OperatingSystem);

/// <summary>When, where and with what a run was made; printed above the table and stored in the JSON.</summary>
internal sealed record RunInfo(
    DateTimeOffset Started,
    double DurationSeconds,
    MachineInfo Machine,
    IReadOnlyDictionary<string, string> Versions,
    IReadOnlyDictionary<string, string> Options);
