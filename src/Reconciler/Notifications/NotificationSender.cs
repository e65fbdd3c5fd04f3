using System.Text;
using System.Threading.Channels;

namespace Reconcile.Reconciler.Notifications;

/// <summary>
/// Sends notices to the sinks that want them, in the background: <see cref="Post"/> only queues (the
/// reconcile loop never waits on a receiver), a bounded queue drops its oldest notice when a receiver
/// stays away for long, and each delivery is retried with a doubling delay (a refused connection, a
/// timeout, a 5xx or 429) before it is given up and counted as dropped.
/// </summary>
public sealed class NotificationSender : IAsyncDisposable
{
    /// <summary>How many notices wait at most; beyond that the oldest go.</summary>
    public const int QueueLength = 1000;

    private readonly IReadOnlyList<NotificationSink> sinks;
    private readonly HttpClient client;
    private readonly int attempts;
    private readonly TimeSpan firstDelay;
    private readonly Action<string> log;
    private readonly Channel<(NotificationSink Sink, Notice Notice)> queue =
        Channel.CreateBounded<(NotificationSink, Notice)>(new BoundedChannelOptions(QueueLength) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly Task worker;
    private int delivered;
    private int dropped;

    /// <param name="attempts">Tries per notice and sink.</param>
    /// <param name="firstDelay">The wait before the second try; it doubles for each further one.</param>
    public NotificationSender(IReadOnlyList<NotificationSink> sinks, Action<string> log, int attempts = 5, TimeSpan? firstDelay = null, TimeSpan? timeout = null)
    {
        this.sinks = sinks;
        this.log = log;
        this.attempts = Math.Max(1, attempts);
        this.firstDelay = firstDelay ?? TimeSpan.FromSeconds(1);
        client = new HttpClient { Timeout = timeout ?? TimeSpan.FromSeconds(10) };
        worker = Task.Run(SendAllAsync);
    }

    public int Delivered => Volatile.Read(ref delivered);

    public int Dropped => Volatile.Read(ref dropped);

    /// <summary>Queues <paramref name="notice"/> for every sink that wants its reason; returns at once.</summary>
    public void Post(Notice notice)
    {
        foreach (var sink in sinks.Where(s => s.Wants(notice.Reason)))
        {
            queue.Writer.TryWrite((sink, notice));
        }
    }

    private async Task SendAllAsync()
    {
        await foreach (var (sink, notice) in queue.Reader.ReadAllAsync())
        {
            if (await SendAsync(sink, notice))
            {
                Interlocked.Increment(ref delivered);
            }
            else
            {
                Interlocked.Increment(ref dropped);
                log($"notification {notice.Reason} of plan {notice.Plan} to {sink.Name} dropped after {attempts} attempts");
            }
        }
    }

    private async Task<bool> SendAsync(NotificationSink sink, Notice notice)
    {
        var (body, contentType) = notice.Body(sink.Format);
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            try
            {
                using var content = new StringContent(body, Encoding.UTF8);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType) { CharSet = "utf-8" };
                using var response = await client.PostAsync(sink.Url, content);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }

                // A client error other than throttling will not heal by itself: no retries.
                if ((int)response.StatusCode is >= 400 and < 500 and not 429)
                {
                    return false;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Refused, reset, unreachable or timed out: tried again below.
            }

            if (attempt < attempts)
            {
                await Task.Delay(firstDelay * Math.Pow(2, attempt - 1));
            }
        }

        return false;
    }

    /// <summary>Stops taking notices and waits up to <paramref name="drain"/> for the queued ones.</summary>
    public async Task CloseAsync(TimeSpan drain)
    {
        queue.Writer.TryComplete();
        await Task.WhenAny(worker, Task.Delay(drain));
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync(TimeSpan.FromSeconds(5));
        client.Dispose();
    }
}
