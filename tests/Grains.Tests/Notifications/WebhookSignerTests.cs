using System.Text;
using BudgetCluster.Grains.Notifications;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace BudgetCluster.Grains.Tests.Notifications;

/// <summary>Our signer against an independent implementation of Standard Webhooks (the <c>StandardWebhooks</c> package).</summary>
public sealed class WebhookSignerTests
{
    private const string Body = """{"type":"budget.exceeded","id":"evt_1","timestamp":"2026-12-07T10:00:00Z","data":{"budget_id":"b-1"}}""";

    [Fact]
    public void Sign_OneSecret_VerifiesWithTheStandardLibrary()
    {
        var secret = WebhookSecret.Generate();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var signature = WebhookSigner.Sign([WebhookSecret.Key(secret)], "evt_1", timestamp, Encoding.UTF8.GetBytes(Body));

        new StandardWebhook(secret).Verify(Body, Headers("evt_1", timestamp, signature));
        Assert.Equal(
            new StandardWebhook(secret).Sign("evt_1", DateTimeOffset.FromUnixTimeSeconds(timestamp), Body),
            signature);
    }

    [Fact]
    public void Sign_TwoSecretsDuringARotation_EachVerifiesAndAnotherDoesNot()
    {
        var (old, current) = (WebhookSecret.Generate(), WebhookSecret.Generate());
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var signature = WebhookSigner.Sign([WebhookSecret.Key(current), WebhookSecret.Key(old)], "evt_2", timestamp, Encoding.UTF8.GetBytes(Body));

        // StandardWebhooks 1.1.2 checks only the first of two space-separated signatures (its loop
        // stops once no space follows the second), so each is given to it alone, as a receiver
        // holding one of the two secrets would be checked by a complete implementation.
        var signatures = signature.Split(' ');
        Assert.Equal(2, signatures.Length);
        new StandardWebhook(current).Verify(Body, Headers("evt_2", timestamp, signatures[0]));
        new StandardWebhook(old).Verify(Body, Headers("evt_2", timestamp, signatures[1]));
        Assert.All(signatures, one => Assert.Throws<WebhookVerificationException>(
            () => new StandardWebhook(WebhookSecret.Generate()).Verify(Body, Headers("evt_2", timestamp, one))));
        Assert.Throws<WebhookVerificationException>(
            () => new StandardWebhook(current).Verify(Body + " ", Headers("evt_2", timestamp, signatures[0])));
    }

    [Fact]
    public void Generate_IsWhsecAndThirtyTwoRandomBytes()
    {
        var (a, b) = (WebhookSecret.Generate(), WebhookSecret.Generate());

        Assert.StartsWith("whsec_", a, StringComparison.Ordinal);
        Assert.Equal(32, WebhookSecret.Key(a).Length);
        Assert.NotEqual(a, b);
        Assert.Throws<FormatException>(() => WebhookSecret.Key("sk_" + a[6..]));
    }

    private static HeaderDictionary Headers(string id, long timestamp, string signature) => new()
    {
        ["webhook-id"] = id,
        ["webhook-timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["webhook-signature"] = signature,
    };
}
