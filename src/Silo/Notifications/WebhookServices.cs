using BudgetCluster.Grains.Notifications;
using Microsoft.Extensions.Options;
using Polly;

namespace BudgetCluster.Silo.Notifications;

/// <summary>The webhook sender, its HTTP client and the sweep that resumes deliveries.</summary>
public static class WebhookServices
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhookOptions>()
            .Bind(configuration.GetSection(WebhookOptions.SectionName))
            .Validate(options => options.AttemptTimeout > TimeSpan.Zero, "Webhooks:AttemptTimeout must be positive")
            .Validate(options => options.WakeInterval > TimeSpan.Zero, "Webhooks:WakeInterval must be positive")
            .ValidateOnStart();
        services.AddHttpClient(WebhookSender.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider =>
            {
                var allowPrivate = provider.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateNetworks;
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    // Through a proxy the connect callback would check the proxy's address, not the endpoint's.
                    UseProxy = false,
                    // One handler serves every org's endpoints: no cookie may pass between them.
                    UseCookies = false,
                    ConnectCallback = (context, cancellation) => WebhookSender.ConnectAsync(context, allowPrivate, cancellation),
                    // A name's addresses are checked per connection: connections do not live long.
                    PooledConnectionLifetime = TimeSpan.FromMinutes(1),
                };
            })
            // Endpoint URLs may carry secrets in their paths: the client logs nothing per request.
            .RemoveAllLoggers()
            // The per-attempt policy: a timeout. Retries are the webhooks grain's durable schedule.
            .AddResilienceHandler("webhook-attempt", (pipeline, context) =>
                pipeline.AddTimeout(context.ServiceProvider.GetRequiredService<IOptions<WebhookOptions>>().Value.AttemptTimeout));
        services.AddSingleton<IWebhookSender, WebhookSender>();
        services.AddHostedService<WebhookWaker>();
        return services;
    }
}
