using Microsoft.Extensions.Configuration;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// Reads the settings: the JSON file when one is given, then OPENTUNNEL_AGENT_* environment
/// variables, then the command line's values on top; binds and validates them. Anything wrong,
/// including an unknown setting, throws <see cref="AgentConfigurationException"/> listing every problem.
/// </summary>
public static class AgentOptionsLoader
{
    /// <summary>The enrolment token was once a setting; naming it now is refused with the way to give it instead.</summary>
    private const string RemovedTokenSetting = "Token";

    public static AgentOptions Load(string? file, IReadOnlyDictionary<string, string?> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        IConfigurationRoot root;
        try
        {
            var builder = new ConfigurationBuilder();
            if (file is not null)
            {
                string full = Path.GetFullPath(file);
                if (!File.Exists(full))
                {
                    throw new AgentConfigurationException([$"configuration file '{full}' does not exist."]);
                }

                builder.AddJsonFile(full, optional: false, reloadOnChange: false);
            }

            builder.AddEnvironmentVariables(AgentOptions.EnvironmentPrefix);
            builder.AddInMemoryCollection(overrides);
            root = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException or System.Text.Json.JsonException)
        {
            throw new AgentConfigurationException([$"the configuration file is not valid JSON: {e.InnerException?.Message ?? e.Message}"]);
        }

        if (root[RemovedTokenSetting] is not null)
        {
            throw new AgentConfigurationException([
                $"Token is not a setting (OPENTUNNEL_AGENT_TOKEN, \"Token\" in the file): a secret there is readable by others. Give the enrolment token with --token-file FILE, --token-file - (standard input) or {Enrolment.EnrolmentTokenSource.EnvironmentVariable}."]);
        }

        AgentOptions options;
        try
        {
            options = root.Get<AgentOptions>(binder => binder.ErrorOnUnknownConfiguration = true) ?? new AgentOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new AgentConfigurationException([e.Message]);
        }

        IReadOnlyList<string> errors = options.Validate();
        return errors.Count > 0 ? throw new AgentConfigurationException(errors) : options;
    }
}

/// <summary>The settings were refused; <see cref="Errors"/> names each problem's setting.</summary>
public sealed class AgentConfigurationException : Exception
{
    public AgentConfigurationException(IReadOnlyList<string> errors)
        : base("Agent settings refused:\n  " + string.Join("\n  ", errors))
    {
        Errors = errors;
    }

    public AgentConfigurationException()
        : this([])
    {
    }

    public AgentConfigurationException(string message)
        : this([message])
    {
    }

    public AgentConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; } = [];
}
