using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Reconcile.Reconciler.Notifications;

/// <summary>One thing that happened to a campaign, as its Kubernetes Event says it.</summary>
public sealed record Notice(string Plan, string Reason, bool Warning, string Message, DateTime Time, string? Revision)
{
    private string Stamp => Time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The request body for <paramref name="format"/>, and its content type.</summary>
    public (string Body, string ContentType) Body(NotificationFormat format) => format switch
    {
        NotificationFormat.Slack => (new JsonObject { ["text"] = $"{(Warning ? ":warning: " : "")}[{Plan}] {Reason}: {Message}" }.ToJsonString(), "application/json"),
        NotificationFormat.CloudEvents => (new JsonObject
        {
            ["specversion"] = "1.0",
            ["type"] = $"dev.reconcile.migrationrun.{Reason}",
            ["source"] = $"/reconcile/plans/{Plan}",
            // The same notice retried is the same event: consumers deduplicate on source and id.
            ["id"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Plan}\n{Reason}\n{Stamp}\n{Message}")))[..32],
            ["time"] = Stamp,
            ["subject"] = Plan,
            ["datacontenttype"] = "application/json",
            ["data"] = Generic(),
        }.ToJsonString(), "application/cloudevents+json"),
        _ => (Generic().ToJsonString(), "application/json"),
    };

    private JsonObject Generic() => new()
    {
        ["apiVersion"] = "migration.reconcile.dev/v1alpha1",
        ["kind"] = "Notification",
        ["plan"] = Plan,
        ["reason"] = Reason,
        ["type"] = Warning ? "Warning" : "Normal",
        ["message"] = Message,
        ["time"] = Stamp,
        ["revision"] = Revision,
    };
}
