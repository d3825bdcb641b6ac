using System.Globalization;
using BudgetCluster.Silo.Admin.Usage;

namespace BudgetCluster.Silo.Console;

/// <summary>
/// A usage view drawn as an SVG bar chart with ScottPlot, one bar per bucket stacked by group:
/// rendered on the server, so the page needs no script.
/// </summary>
public static class UsageChart
{
    private static readonly ScottPlot.Color[] Palette =
    [
        ScottPlot.Color.FromHex("#3366cc"), ScottPlot.Color.FromHex("#dc3912"), ScottPlot.Color.FromHex("#ff9900"),
        ScottPlot.Color.FromHex("#109618"), ScottPlot.Color.FromHex("#990099"), ScottPlot.Color.FromHex("#0099c6"),
        ScottPlot.Color.FromHex("#dd4477"), ScottPlot.Color.FromHex("#66aa00"), ScottPlot.Color.FromHex("#b82e2e"),
        ScottPlot.Color.FromHex("#316395"),
    ];

    /// <summary>The group's label of a result: its value, or "(none)".</summary>
    public static string Group(UsageResultView result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Key.Values.Length > 0 && result.Key.Values[0].Length > 0 ? result.Key.Values[0] : "(none)";
    }

    /// <summary>The SVG of <paramref name="measure"/> per bucket, stacked by group; labelled in the view's zone.</summary>
    public static string Svg(UsageView view, string title, Func<UsageResultView, double> measure, int width = 960, int height = 320)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(measure);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(view.TimeZone);
        var groups = view.Data.SelectMany(bucket => bucket.Results).Select(Group).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var plot = new ScottPlot.Plot();
        var bars = new List<ScottPlot.Bar>();
        for (var i = 0; i < view.Data.Count; i++)
        {
            double stacked = 0;
            foreach (var result in view.Data[i].Results.OrderBy(Group, StringComparer.Ordinal))
            {
                var value = measure(result);
                bars.Add(new ScottPlot.Bar
                {
                    Position = i,
                    ValueBase = stacked,
                    Value = stacked + value,
                    FillColor = Palette[groups.IndexOf(Group(result)) % Palette.Length],
                });
                stacked += value;
            }
        }

        plot.Add.Bars(bars);
        for (var g = 0; g < groups.Count; g++)
        {
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = groups[g], FillColor = Palette[g % Palette.Length] });
        }

        var ticks = view.Data.Select((bucket, i) => new ScottPlot.Tick(i, Label(bucket.StartingAt, view.BucketWidth, zone))).ToArray();
        // At most 12 labels, whatever the range.
        var step = Math.Max(1, (int)Math.Ceiling(ticks.Length / 12.0));
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks.Where((_, i) => i % step == 0)]);
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.ShowLegend(ScottPlot.Edge.Right);
        var svg = plot.GetSvgXml(width, height);
        // Inline in HTML: without the XML declaration, and scaling to the page's width.
        return svg[svg.IndexOf("<svg", StringComparison.Ordinal)..]
            .Replace($"width=\"{width}\" height=\"{height}\"", $"viewBox=\"0 0 {width} {height}\" width=\"100%\"", StringComparison.Ordinal);
    }

    private static string Label(string startingAt, string width, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.Parse(startingAt, CultureInfo.InvariantCulture), zone);
        return width == "1h" ? local.ToString("HH:mm", CultureInfo.InvariantCulture) : local.ToString("MMM d", CultureInfo.InvariantCulture);
    }
}
