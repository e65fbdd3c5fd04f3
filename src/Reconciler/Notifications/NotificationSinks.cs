using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Reconcile.Reconciler.Notifications;

/// <summary>How a sink's request body is shaped.</summary>
public enum NotificationFormat
{
    /// <summary>Reconcile's own JSON body (docs/reconciler.md, "Notifications").</summary>
    Generic,

    /// <summary>A Slack incoming webhook's body: {"text": ...} (Mattermost and others accept it too).</summary>
    Slack,

    /// <summary>A CloudEvents 1.0 event in structured mode (application/cloudevents+json).</summary>
    CloudEvents,
}

/// <summary>One place notifications go: its URL, body format and the Event reasons it wants (none listed: all).</summary>
public sealed record NotificationSink(string Name, Uri Url, NotificationFormat Format, IReadOnlySet<string> Reasons)
{
    public bool Wants(string reason) => Reasons.Count == 0 || Reasons.Contains(reason);
}

/// <summary>
/// The reconciler's notification config (`reconcile run --notifications FILE`, a key of its ConfigMap):
/// <code>
/// sinks:
///   - name: ops-slack
///     url: https://hooks.slack.com/services/...
///     format: slack            # generic (default), slack or cloudevents
///     events: [StageFinished, StepFailed, RollbackStarted, RevisionRefused]   # default: every Event
/// </code>
/// </summary>
public static class NotificationConfig
{
    private sealed class File
    {
        public List<Entry>? Sinks { get; set; }
    }

    private sealed class Entry
    {
        public string? Name { get; set; }

        public string? Url { get; set; }

        public string? Format { get; set; }

        public List<string>? Events { get; set; }
    }

    /// <summary>The sinks of <paramref name="text"/>, or why it is not a usable config.</summary>
    public static (IReadOnlyList<NotificationSink> Sinks, string? Problem) Parse(string text)
    {
        File? file;
        try
        {
            file = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build().Deserialize<File>(text);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            return ([], $"not a notification config at line {e.Start.Line}: {e.Message}");
        }

        var sinks = new List<NotificationSink>();
        foreach (var (entry, index) in (file?.Sinks ?? []).Select((e, i) => (e, i)))
        {
            var name = entry.Name ?? $"sink {index + 1}";
            if (!Uri.TryCreate(entry.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                return ([], $"{name}: url must be an http:// or https:// URL");
            }

            if (!Enum.TryParse<NotificationFormat>(entry.Format ?? "generic", ignoreCase: true, out var format) || !Enum.IsDefined(format))
            {
                return ([], $"{name}: format must be generic, slack or cloudevents");
            }

            sinks.Add(new NotificationSink(name, url, format, (entry.Events ?? []).ToHashSet(StringComparer.Ordinal)));
        }

        return (sinks, null);
    }
}
