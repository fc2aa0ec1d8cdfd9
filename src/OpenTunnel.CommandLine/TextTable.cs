using Spectre.Console;
using Spectre.Console.Rendering;

namespace OpenTunnel.CommandLine;

/// <summary>
/// Rows printed for people: a header and aligned columns, drawn by Spectre.Console without colour
/// or terminal codes, never wrapped (a script reads <c>--json</c> instead).
/// </summary>
public static class TextTable
{
    /// <summary>Writes <paramref name="rows"/> under <paramref name="columns"/>; a column whose name is in <paramref name="rightAligned"/> is aligned right (numbers).</summary>
    public static void Write(TextWriter output, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows, params IReadOnlyCollection<string> rightAligned)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        var table = new Table().Border(TableBorder.Simple);
        foreach (string column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column)) { Alignment = rightAligned.Contains(column) ? Justify.Right : Justify.Left, NoWrap = true });
        }

        foreach (IReadOnlyList<string> row in rows)
        {
            if (row.Count != columns.Count)
            {
                throw new ArgumentException($"A row has {row.Count} cells for {columns.Count} columns.", nameof(rows));
            }

            table.AddRow(row.Select(cell => (IRenderable)new Text(cell)));
        }

        Console(output).Write(table);
    }

    /// <summary>Name and value pairs, one a line, the values aligned.</summary>
    public static void WritePairs(TextWriter output, IEnumerable<(string Name, string Value)> pairs)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(pairs);
        var grid = new Grid().AddColumn(new GridColumn { NoWrap = true, Padding = new Padding(0, 0, 2, 0) }).AddColumn(new GridColumn { NoWrap = true });
        foreach ((string name, string value) in pairs)
        {
            grid.AddRow(new Text(name + ":"), new Text(value));
        }

        Console(output).Write(grid);
    }

    private static IAnsiConsole Console(TextWriter output)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 4096;
        return console;
    }
}
