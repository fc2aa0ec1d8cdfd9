using Microsoft.Extensions.Configuration;

namespace OpenTunnel.Gateway.Configuration;

/// <summary>
/// Reads the configuration: the JSON file (or a JSON document pushed through the control
/// socket), then environment variables <c>OPENTUNNEL_GATEWAY_Section__Setting</c> on top, binds it and
/// validates it. Anything wrong, including an unknown setting name or a value of the wrong type,
/// throws <see cref="GatewayConfigurationException"/> listing every problem, so a bad file never
/// replaces a good one.
/// </summary>
public static class GatewayConfigurationLoader
{
    public const string EnvironmentPrefix = "OPENTUNNEL_GATEWAY_";

    public static GatewayOptions LoadFile(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new GatewayConfigurationException([$"configuration file '{full}' does not exist."]);
        }

        return Load(builder => builder.AddJsonFile(full, optional: false, reloadOnChange: false), full);
    }

    /// <summary>Loads a JSON document given as text (the control API's apply).</summary>
    public static GatewayOptions LoadJson(string json) =>
        Load(builder => builder.AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))), "the applied document");

    private static GatewayOptions Load(Action<ConfigurationBuilder> addSource, string origin)
    {
        IConfigurationRoot root;
        try
        {
            var builder = new ConfigurationBuilder();
            addSource(builder);
            builder.AddEnvironmentVariables(EnvironmentPrefix);
            root = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException or System.Text.Json.JsonException)
        {
            throw new GatewayConfigurationException([$"{origin} is not valid JSON: {e.InnerException?.Message ?? e.Message}"]);
        }

        GatewayOptions options;
        try
        {
            options = root.Get<GatewayOptions>(binder => binder.ErrorOnUnknownConfiguration = true) ?? new GatewayOptions();
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key: "Failed to convert configuration value at 'Network:Mtu'..."
            // or "'Networks' was not found on type ..." for an unknown setting.
            throw new GatewayConfigurationException([$"{origin}: {e.Message}"]);
        }

        var errors = GatewayOptionsValidator.Validate(options);
        if (errors.Count > 0)
        {
            throw new GatewayConfigurationException(errors);
        }

        return options;
    }
}

/// <summary>A configuration was refused; <see cref="Errors"/> lists each problem by setting name.</summary>
public sealed class GatewayConfigurationException : Exception
{
    public GatewayConfigurationException(IReadOnlyList<string> errors)
        : base("Configuration refused:\n  " + string.Join("\n  ", errors))
    {
        Errors = errors;
    }

    public GatewayConfigurationException()
        : this([])
    {
    }

    public GatewayConfigurationException(string message)
        : this([message])
    {
    }

    public GatewayConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; } = [];
}
