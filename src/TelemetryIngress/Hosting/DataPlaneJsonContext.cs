using System.Text.Json.Serialization;
using BudgetCluster.TelemetryIngress.Budgets;
using BudgetCluster.TelemetryIngress.Health;
using BudgetCluster.TelemetryIngress.Heartbeats;
using BudgetCluster.TelemetryIngress.Telemetry;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>Source-generated (de)serializers of every data plane body; snake_case on the wire.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    AllowTrailingCommas = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(TelemetryBody))]
[JsonSerializable(typeof(UsageEventDto))]
[JsonSerializable(typeof(TelemetryResponse))]
[JsonSerializable(typeof(HeartbeatDto))]
[JsonSerializable(typeof(HeartbeatResponse))]
[JsonSerializable(typeof(BudgetCheckResponse))]
[JsonSerializable(typeof(BudgetEventData))]
[JsonSerializable(typeof(BudgetSnapshotData))]
[JsonSerializable(typeof(HealthView))]
[JsonSerializable(typeof(ReadinessView))]
internal sealed partial class DataPlaneJsonContext : JsonSerializerContext;
