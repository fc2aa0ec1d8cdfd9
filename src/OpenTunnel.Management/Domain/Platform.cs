namespace OpenTunnel.Management.Domain;

/// <summary>Device platforms that profiles, devices and compliance policies name.</summary>
public enum Platform
{
    Windows,
    MacOS,
    Ios,
    Android,
    Linux,
}
