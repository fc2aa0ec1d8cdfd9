using Microsoft.AspNetCore.Antiforgery;
using OpenTunnel.Management.AdminConsole.Pages;
using OpenTunnel.Management.Api.Resources;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.AdminConsole;

/// <summary>The messages of the server configuration form while it is typed in, and the count of split routes as the validator counts them (group policies' too).</summary>
public sealed record ConfigurationValidationView(Dictionary<string, IReadOnlyList<string>> Fields, int Routes, int MaximumRoutes);

/// <summary>
/// Validation while typing: console.js posts the server configuration form here (with its
/// anti-forgery token) a moment after each change, and shows the messages at their fields. The
/// rules are the API's own (the same input mapping and validator as a save); nothing is stored.
/// Without script the form is still checked when it is saved.
/// </summary>
public static class ConfigurationValidation
{
    public const string Path = ConsoleSetup.BasePath + "/configurations/validate";

    public static WebApplication MapConfigurationValidation(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(Path, ValidateAsync).RequireAuthorization(ConsoleSetup.WritePolicy).DisableAntiforgery().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> ValidateAsync(HttpContext http, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The form's anti-forgery token is missing or wrong.", detail: "Reload the page.");
        }

        IFormCollection posted = await http.Request.ReadFormAsync(http.RequestAborted);
        return TypedResults.Ok(Validate(ConfigurationForm.From(posted)));
    }

    /// <summary>Every message of the form as a save would give them (but for the name being taken, which only storing can tell).</summary>
    public static ConfigurationValidationView Validate(ConfigurationForm form)
    {
        ArgumentNullException.ThrowIfNull(form);
        var errors = new FieldErrors();
        ServerConfigurationInput input = form.ToInput(errors);
        var definition = new ServerConfigurations();
        var configuration = new ServerConfiguration();
        definition.Apply(input, configuration);
        errors.AddAll(definition.Validate(configuration).ToDictionary(), form.FieldOf);

        var fields = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (string field in errors.Fields)
        {
            fields[field] = errors.For(field);
        }

        return new ConfigurationValidationView(fields, ServerConfigurationValidator.CountedRoutes(configuration), ServerConfiguration.MaximumSplitRoutes);
    }
}
