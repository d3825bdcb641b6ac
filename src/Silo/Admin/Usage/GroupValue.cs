using System.Text.Json;
using System.Text.Json.Serialization;

namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>
/// The value of a grouped dimension in a result: a string, or JSON null when absent. A result's
/// field for a dimension it is not grouped by is a C# null and left out, so a result carries the
/// ids of exactly its <c>group_by</c> dimensions.
/// </summary>
[JsonConverter(typeof(Converter))]
public readonly record struct GroupValue(string? Value)
{
    /// <summary>The value of a stored dimension, where <c>""</c> is absent.</summary>
    public static GroupValue Of(string stored) => new(stored.Length == 0 ? null : stored);

    /// <summary>Writes a <see cref="GroupValue"/> as its string or null.</summary>
    internal sealed class Converter : JsonConverter<GroupValue>
    {
        public override GroupValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(reader.TokenType == JsonTokenType.Null ? null : reader.GetString());

        public override void Write(Utf8JsonWriter writer, GroupValue value, JsonSerializerOptions options)
        {
            ArgumentNullException.ThrowIfNull(writer);
            if (value.Value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStringValue(value.Value);
            }
        }
    }
}
