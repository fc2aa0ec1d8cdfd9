using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace OpenTunnel.CommandLine;

/// <summary>
/// Parses and runs a command tree the same way in every tool: a parse error is printed as
/// "error: ..." lines with the way to the verb's help and ends with <see cref="ExitCodes.Usage"/>;
/// help, --version and the [suggest] completion directive are System.CommandLine's own.
/// </summary>
public static class CommandLineRunner
{
    public static async Task<int> InvokeAsync(RootCommand root, IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ParseResult result = root.Parse(args);
        if (result.Errors.Count > 0 && result.Action is ParseErrorAction or null)
        {
            foreach (var parseError in result.Errors)
            {
                await error.WriteLineAsync($"error: {parseError.Message}");
            }

            await error.WriteLineAsync($"Run '{string.Join(' ', CommandPath(result))} --help' for its usage.");
            return ExitCodes.Usage;
        }

        // Signals stay with the verbs: a service's host shuts down gracefully on SIGTERM itself.
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        return await result.InvokeAsync(configuration, cancellationToken);
    }

    private static IEnumerable<string> CommandPath(ParseResult result)
    {
        var names = new Stack<string>();
        for (var command = result.CommandResult; command is not null; command = command.Parent as CommandResult)
        {
            names.Push(command.Command.Name);
        }

        return names;
    }
}
