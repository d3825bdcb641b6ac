using System.Text.Json;
using Microsoft.OpenApi;

namespace BudgetCluster.Silo.Admin.OpenApi;

/// <summary>
/// The admin API's OpenAPI document (<c>/openapi/v1.json</c>), complete enough for a client
/// generator: only the admin API and <c>/healthz</c> (the dashboard's own routes are left out), the
/// bearer token as the security scheme, the 401 and 503 every admin route can answer, and the query
/// parameters handlers read themselves (<see cref="QueryParameterDoc"/>).
/// </summary>
public static class AdminOpenApi
{
    public const string SecurityScheme = "bearer";

    public static IServiceCollection AddAdminOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                Describe(document);
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                WireShape(schema, context.JsonTypeInfo.Type);
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                foreach (var parameter in context.Description.ActionDescriptor.EndpointMetadata.OfType<QueryParameterDoc>())
                {
                    operation.Parameters ??= [];
                    operation.Parameters.Add(Parameter(parameter));
                }

                return Task.CompletedTask;
            });
        });

    /// <summary>Documents the query parameters the handler reads itself.</summary>
    public static RouteHandlerBuilder WithQuery(this RouteHandlerBuilder route, params QueryParameterDoc[] parameters)
    {
        ArgumentNullException.ThrowIfNull(route);
        return route.WithMetadata([.. parameters]);
    }

    /// <summary><c>limit</c> and <c>page</c> of a paged list.</summary>
    public static QueryParameterDoc[] Paging { get; } =
    [
        new("limit", $"Items per page, 1 to {ListPaging.MaxLimit} (default {ListPaging.DefaultLimit}).", Numeric: true),
        new("page", "The `next_page` token of the previous page; absent for the first page."),
    ];

    private static void Describe(OpenApiDocument document)
    {
        document.Info.Title = "BudgetCluster admin API";
        document.Info.Description = "Budgets, catalog, usage views, statements and webhooks of BudgetCluster. Every /api/v1 route needs 'Authorization: Bearer <admin token>'.";
        foreach (var path in document.Paths.Keys.Where(path => !path.StartsWith("/api/v1/", StringComparison.Ordinal) && path != "/healthz").ToList())
        {
            document.Paths.Remove(path);
        }

        document.Components ??= new OpenApiComponents();
        foreach (var (name, schema) in document.Components.Schemas ?? new Dictionary<string, IOpenApiSchema>())
        {
            ExactDecimals(schema, body: name.EndsWith("Body", StringComparison.Ordinal));
        }

        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SecurityScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The admin token (data/admin-token, or Admin:Token).",
        };
        var requirement = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecurityScheme, document)] = [] };
        foreach (var (path, item) in document.Paths)
        {
            if (!path.StartsWith("/api/v1/", StringComparison.Ordinal) || item.Operations is null)
            {
                continue;
            }

            foreach (var operation in item.Operations.Values)
            {
                operation.Security = [requirement];
                operation.Responses ??= [];
                operation.Responses.TryAdd("401", Problem(document, "The admin token is missing or wrong."));
                operation.Responses.TryAdd("503", Problem(document, "The cluster or its storage is unavailable; retry after Retry-After."));
            }
        }
    }

    /// <summary>
    /// The schema as the wire has it: our bodies and views are snake_case (AdminJsonContext), which
    /// the document's generator, reading ASP.NET Core's camelCase defaults, does not know.
    /// </summary>
    private static void WireShape(OpenApiSchema schema, Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.Namespace?.StartsWith("BudgetCluster.", StringComparison.Ordinal) != true || schema.Properties is not { Count: > 0 } properties)
        {
            return;
        }

        schema.Properties = properties.ToDictionary(pair => JsonNamingPolicy.SnakeCaseLower.ConvertName(pair.Key), pair => pair.Value);
        if (schema.Required is { Count: > 0 } required)
        {
            schema.Required = required.Select(JsonNamingPolicy.SnakeCaseLower.ConvertName).ToHashSet();
        }
    }

    /// <summary>
    /// Decimals as the wire has them, never as a binary floating point type in a generated client.
    /// The generator gives every <see cref="decimal"/> the same shape (a number or a numeric string,
    /// format double); a request body (<c>*Body</c>) takes it as a decimal string (money:
    /// <c>"limit_usd":"1.00"</c>; the API also reads a JSON number). A view writes its money as
    /// strings already and its ratios (thresholds) as JSON numbers: format double, since Kiota's
    /// JSON reader takes no list of decimals, and a fraction such as 0.8 is no amount of money.
    /// </summary>
    private static void ExactDecimals(IOpenApiSchema? schema, bool body)
    {
        if (schema is not OpenApiSchema concrete)
        {
            return;
        }

        if (concrete.Format == "double" && concrete.Type is { } type && type.HasFlag(JsonSchemaType.String) && type.HasFlag(JsonSchemaType.Number))
        {
            concrete.Type = (body ? JsonSchemaType.String : JsonSchemaType.Number) | (type & JsonSchemaType.Null);
            if (body)
            {
                concrete.Format = "decimal";
            }
            else
            {
                concrete.Pattern = null;
            }
        }

        foreach (var property in concrete.Properties?.Values ?? [])
        {
            ExactDecimals(property, body);
        }

        ExactDecimals(concrete.Items, body);
        ExactDecimals(concrete.AdditionalProperties, body);
    }

    private static OpenApiResponse Problem(OpenApiDocument document, string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) },
        },
    };

    private static OpenApiParameter Parameter(QueryParameterDoc parameter)
    {
        var single = new OpenApiSchema { Type = parameter.Numeric ? JsonSchemaType.Integer : JsonSchemaType.String };
        return new OpenApiParameter
        {
            Name = parameter.Name,
            In = ParameterLocation.Query,
            Required = parameter.Required,
            Description = parameter.Description,
            Schema = parameter.Repeatable ? new OpenApiSchema { Type = JsonSchemaType.Array, Items = single } : single,
            Explode = parameter.Repeatable,
        };
    }
}
