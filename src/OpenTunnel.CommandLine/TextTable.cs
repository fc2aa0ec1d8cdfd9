using Spectre.Console;
using Spectre.Console.Rendering;

namespace OpenTunnel.CommandLine;

/// <summary>
/// Rows printed for people: a header line and aligned columns (two spaces apart, no border, so
/// that grep and awk still work), laid out by Spectre.Console without colour or terminal codes,
/// never wrapped; a script reads <c>--json</c> instead.
/// </summary>
public static class TextTable
{
    private static readonly Padding Gap = new(0, 0, 2, 0);

    /// <summary>Writes <paramref name="rows"/> under <paramref name="columns"/>; a column whose name is in <paramref name="rightAligned"/> is aligned right (numbers).</summary>
    public static void Write(TextWriter output, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows, params IReadOnlyCollection<string> rightAligned)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        var table = new Table().Border(TableBorder.None);
        foreach (string column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column)) { Alignment = rightAligned.Contains(column) ? Justify.Right : Justify.Left, NoWrap = true, Padding = Gap });
        }

        foreach (IReadOnlyList<string> row in rows)
        {
            if (row.Count != columns.Count)
            {
                throw new ArgumentException($"A row has {row.Count} cells for {columns.Count} columns.", nameof(rows));
            }

            table.AddRow(row.Select(cell => (IRenderable)new Text(cell)));
        }

        Render(output, table);
    }

    /// <summary>Name and value pairs, one a line, the values aligned.</summary>
    public static void WritePairs(TextWriter output, IEnumerable<(string Name, string Value)> pairs)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(pairs);
        var grid = new Grid().AddColumn(new GridColumn { NoWrap = true, Padding = Gap }).AddColumn(new GridColumn { NoWrap = true });
        foreach ((string name, string value) in pairs)
        {
            grid.AddRow(new Text(name + ":"), new Text(value));
        }

        Render(output, grid);
    }

    /// <summary>Lays <paramref name="renderable"/> out at a width that never wraps, and writes its lines without trailing spaces.</summary>
    private static void Render(TextWriter output, IRenderable renderable)
    {
        using var text = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = 4096;
        console.Write(renderable);
        foreach (string line in text.ToString().Split('\n'))
        {
            string trimmed = line.TrimEnd();
            if (trimmed.Length > 0)
            {
                output.WriteLine(trimmed);
            }
        }
    }
}
