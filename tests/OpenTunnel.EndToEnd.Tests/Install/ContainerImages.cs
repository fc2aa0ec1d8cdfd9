using System.Security.Cryptography;
using System.Text;
using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Install;

/// <summary>
/// The images of deploy/images/build.sh, built once per test run on the cached Debian base (the
/// script does nothing when the archives are up to date with the sources), under a tag of this
/// checkout's own: podman's storage is one for the machine, and a build replaces (and removes) the
/// image of its tag, so two checkouts testing at once would remove each other's images. The test
/// classes that use them share one collection and run one after the other: an uninstall removes
/// the gateway image by its id, also from another test's containers.
/// </summary>
public static class ContainerImages
{
    public const string Collection = "Container images";

    private static readonly Lazy<TimeSpan> s_build = new(BuildNow);

    public static string Root { get; } = SolutionOutput.Root();

    /// <summary>test-HASH: the images' tag, the same for every run from this checkout, so that build.sh reuses the images it made.</summary>
    public static string Tag { get; } = "test-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Root)))[..12];

    /// <summary>artifacts/images: the oci-archive files and the cached base.</summary>
    public static string Folder => Path.Combine(Root, "artifacts", "images");

    public static string ContainersConf => Path.Combine(Root, "deploy", "images", "containers.conf");

    /// <summary>Builds the images unless this run did already; returns how long the build took.</summary>
    public static TimeSpan Build() => s_build.Value;

    public static CommandResult Podman(IReadOnlyList<string> arguments, TimeSpan timeout) =>
        Command.Run("env", ["CONTAINERS_CONF=" + ContainersConf, "podman", .. arguments], timeout);

    private static TimeSpan BuildNow()
    {
        Prerequisites.RequireRootAndCommands("podman", "mmdebstrap", "runc", "dotnet");
        var started = DateTime.UtcNow;
        Command.Run("sh", [Path.Combine(Root, "deploy", "images", "build.sh"), "--tag", Tag], TimeSpan.FromMinutes(25)).EnsureSuccess();
        return DateTime.UtcNow - started;
    }
}

[CollectionDefinition(ContainerImages.Collection)]
public sealed class ContainerImagesCollection;
