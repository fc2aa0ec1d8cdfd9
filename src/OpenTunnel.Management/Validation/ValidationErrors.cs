namespace OpenTunnel.Management.Validation;

/// <summary>
/// Problems found in one object, by field (the JSON path the client sent, e.g.
/// "includeRoutes[3]"), in the shape of ValidationProblemDetails.errors.
/// </summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out List<string>? messages))
        {
            messages = [];
            _errors.Add(field, messages);
        }

        messages.Add(message);
    }

    public bool Has(string field) => _errors.ContainsKey(field);

    public Dictionary<string, string[]> ToDictionary()
    {
        var result = new Dictionary<string, string[]>(_errors.Count, StringComparer.Ordinal);
        foreach ((string field, List<string> messages) in _errors)
        {
            result.Add(field, [.. messages]);
        }

        return result;
    }

    /// <summary>A name that every managed object has: present and not too long.</summary>
    public void RequireName(string field, string? value, int maximumLength = 200)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, "is required.");
        }
        else if (value.Length > maximumLength)
        {
            Add(field, $"is {value.Length} characters long; at most {maximumLength} are allowed.");
        }
    }

    public void RequireId(string field, Guid value, string message)
    {
        if (value == Guid.Empty)
        {
            Add(field, message);
        }
    }

    public void RequireRange(string field, long value, long minimum, long maximum)
    {
        if (value < minimum || value > maximum)
        {
            Add(field, $"is {value}; it must be between {minimum} and {maximum}.");
        }
    }

    /// <summary>An absolute http or https URL, for probe and PAC URLs.</summary>
    public void RequireHttpUrl(string field, string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            Add(field, $"'{value}' is not an absolute http or https URL.");
        }
    }
}
