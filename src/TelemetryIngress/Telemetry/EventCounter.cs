using System.Text.Json;

namespace BudgetCluster.TelemetryIngress.Telemetry;

/// <summary>
/// Counts the elements of the top-level <c>events</c> array without materialising them, so an
/// oversized batch (which gzip can make tiny on the wire) is refused before it costs memory.
/// </summary>
internal static class EventCounter
{
    /// <returns>The number of events, stopping early once it passes <paramref name="stopAbove"/>; null when the body is not well-formed JSON.</returns>
    public static int? Count(ReadOnlySpan<byte> json, int stopAbove)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return 0;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isEvents = reader.ValueTextEquals("events"u8);
                reader.Read();
                if (!isEvents || reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }

                var count = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    reader.Skip();
                    if (++count > stopAbove)
                    {
                        return count;
                    }
                }

                return count;
            }

            return 0;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
