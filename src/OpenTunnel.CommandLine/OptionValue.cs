using System.CommandLine;
using System.CommandLine.Parsing;

namespace OpenTunnel.CommandLine;

/// <summary>
/// Options whose value is checked by a tool's own parse function (a range, a list, an address):
/// the function throws <see cref="ArgumentException"/> with a message naming the option, and that
/// message becomes System.CommandLine's parse error, so the tool exits <see cref="ExitCodes.Usage"/>
/// before it does anything.
/// </summary>
public static class OptionValue
{
    /// <summary>An option of one value read by <paramref name="parse"/>; its value is null when the option is not given, except for an array, which System.CommandLine makes empty (ParseResult.GetResult tells whether it was given).</summary>
    public static Option<T?> Parsed<T>(string name, string description, Func<string, T> parse)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new Option<T?>(name) { Description = description, CustomParser = result => Parse(result, parse) };
    }

    /// <summary>An option of one value type read by <paramref name="parse"/>; its value is null when the option is not given.</summary>
    public static Option<T?> ParsedValue<T>(string name, string description, Func<string, T> parse)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new Option<T?>(name) { Description = description, CustomParser = result => Parse(result, parse) };
    }

    /// <summary>The options of <paramref name="result"/> for code that parses without running (tests): a parse error throws <see cref="ArgumentException"/> with every message.</summary>
    public static ParseResult ThrowOnError(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Errors.Count == 0 ? result : throw new ArgumentException(string.Join(" ", result.Errors.Select(e => e.Message)));
    }

    private static T? Parse<T>(ArgumentResult result, Func<string, T> parse)
    {
        if (result.Tokens.Count == 0)
        {
            return default;
        }

        try
        {
            return parse(result.Tokens[^1].Value);
        }
        catch (ArgumentException e)
        {
            result.AddError(e.Message);
            return default;
        }
    }
}
