using System.Diagnostics;
using System.Globalization;

namespace BudgetCluster.Bench;

/// <summary>What a scenario prints: a progress line while it runs and a table at the end.</summary>
internal static class Report
{
    /// <summary>Prints "elapsed, count, rate" once a second until cancelled (on standard error, so results stay clean).</summary>
    public static async Task ProgressAsync(string what, Func<long> count, Func<string>? extra, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var last = count();
        var interactive = !Console.IsErrorRedirected;
        try
        {
            while (true)
            {
                await Task.Delay(1000, cancellationToken);
                var now = count();
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"  {clock.Elapsed.TotalSeconds,6:F1} s  {now,12:N0} {what}  {now - last,9:N0} {what}/s  {extra?.Invoke()}");
                last = now;
                if (interactive)
                {
                    Console.Error.Write("\r" + line.PadRight(100));
                }
                else
                {
                    Console.Error.WriteLine(line);
                }
            }
        }
        catch (OperationCanceledException)
        {
            if (interactive)
            {
                Console.Error.WriteLine();
            }
        }
    }

    public static void Table(string[] headers, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(headers).ToList();
        var widths = headers.Select((_, c) => all.Max(r => r[c].Length)).ToArray();
        Console.WriteLine();
        foreach (var row in all)
        {
            Console.WriteLine("| " + string.Join(" | ", row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))) + " |");
            if (row == headers)
            {
                Console.WriteLine("|" + string.Join("|", widths.Select((w, c) => new string('-', w + 1) + (c == 0 ? "-" : ":"))) + "|");
            }
        }
    }

    /// <summary>A table row: the name, the sample count and the given percentiles (1.0 is the maximum), in milliseconds.</summary>
    public static string[] Percentiles(string name, Latencies latencies, params double[] percentiles) =>
        [name, Number(latencies.Count), .. percentiles.Select(p => Ms(latencies.Percentile(p)))];

    public static string Number(double value) => double.IsNaN(value) ? "-" : value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Ms(double value) => double.IsNaN(value) ? "-" : value.ToString("N2", CultureInfo.InvariantCulture);
}
