using Reconcile.Compiler.Model;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Semantics;

namespace Reconcile.Compiler.Tests;

public sealed class ModelTests
{
    [Theory]
    [InlineData("32Gi", 32L * 1024 * 1024 * 1024)]
    [InlineData("500M", 500_000_000L)]
    [InlineData("1.5Ki", 1536L)]
    [InlineData("120Mi/s", 120L * 1024 * 1024)]
    [InlineData("1024", 1024L)]
    public void Byte_quantities(string text, long bytes) => Assert.Equal(bytes, Quantities.Bytes(text));

    [Fact]
    public void Byte_quantities_that_overflow_are_refused() => Assert.Null(Quantities.Bytes("99999999999Ei"));

    [Theory]
    [InlineData("10Gbps", 10_000_000_000L)]
    [InlineData("800Mbps", 800_000_000L)]
    [InlineData("1.5Kbps", 1_500L)]
    public void Bandwidths(string text, long bits) => Assert.Equal(bits, Quantities.BitsPerSecond(text));

    [Theory]
    [InlineData("150s", 150_000)]
    [InlineData("170ms", 170)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("2d", 172_800_000)]
    [InlineData("1m30s", 90_000)]
    public void Durations(string text, double milliseconds) => Assert.Equal(milliseconds, Quantities.Duration(text)!.Value.TotalMilliseconds);

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(0.17, "170ms")]
    [InlineData(90, "1m30s")]
    [InlineData(5400, "1h30m")]
    public void Durations_print_in_the_largest_sensible_unit(double seconds, string text) =>
        Assert.Equal(text, Quantities.FormatDuration(TimeSpan.FromSeconds(seconds)));

    // Rows of ../shared/design/precopy_table.txt (d_max 300 ms), computed by hand from the closed form.
    [Theory]
    [InlineData(16, 50, 10, 2, 1.04, 14.3)]
    [InlineData(16, 300, 10, 3, 1.33, 18.3)]
    [InlineData(16, 1000, 10, 22, 6.10, 83.8)]
    [InlineData(64, 1000, 10, 30, 6.18, 339.7)]
    [InlineData(4, 50, 1, 6, 1.72, 59.0)]
    public void Pre_copy_model_matches_the_closed_form(int memoryGiB, int dirtyMiB, int gbps, int rounds, double sentOverMemory, double seconds)
    {
        double memory = memoryGiB * 1024.0 * 1024 * 1024;
        var prediction = PreCopyModel.Predict(memory, dirtyMiB * 1024.0 * 1024, gbps * 1e9 / 8, 0.3);
        Assert.Equal(rounds, prediction.Rounds);
        Assert.Equal(sentOverMemory, prediction.BytesSent / memory, 2);
        Assert.Equal(seconds, prediction.Seconds, 1);
        Assert.True(prediction.Converges || rounds == PreCopyModel.MaxRounds);
    }

    [Fact]
    public void Pre_copy_never_converges_when_dirty_rate_exceeds_bandwidth()
    {
        var prediction = PreCopyModel.Predict(16.0 * (1 << 30), 300.0 * (1 << 20), 1e9 / 8, 0.3);
        Assert.False(prediction.Converges);
        Assert.Equal(PreCopyModel.MaxRounds, prediction.Rounds);
    }

    [Fact]
    public void Auto_converge_throttles_until_half_the_bandwidth()
    {
        var throttled = PreCopyModel.ThrottledDirtyRate(300, 100);
        Assert.True(throttled <= 50);
        Assert.Equal(300 * (1 - 0.9), throttled, 6); // 20%, then +10% steps: 90% is the first that gets below 50
    }

    [Theory]
    [InlineData("Cascadelake-Server", "Icelake-Server", 1, true)]
    [InlineData("Cascadelake-Server", "SapphireRapids", 1, false)]
    [InlineData("Cascadelake-Server", "SapphireRapids", 2, true)]
    [InlineData("Icelake-Server", "Cascadelake-Server", 1, false)]
    [InlineData("EPYC-Milan", "Icelake-Server", 5, false)]
    [InlineData("Cascadelake-Server-noTSX", "Cascadelake-Server", 0, true)]
    [InlineData("MyCustomModel", "MyCustomModel", 0, true)]
    public void Cpu_compatibility(string required, string offered, int gap, bool compatible) =>
        Assert.Equal(compatible, CpuModels.Compatible(required, offered, gap));

    [Fact]
    public void Windows_follow_daylight_saving_time()
    {
        // Europe/Berlin moves to summer time on 2027-03-28: 01:00 local is 00:00Z before and 23:00Z the day before after.
        var windows = new Reconcile.Compiler.Model.Windows("Europe/Berlin", TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"),
            [new AllowWindow("nights", "0 1 * * *", TimeSpan.FromHours(2), "Europe/Berlin", TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), [], null!)],
            [], null!);
        var occurrences = WindowCalendar.Expand(windows, ["a"], new DateTime(2027, 3, 26, 0, 0, 0, DateTimeKind.Utc), TimeSpan.FromDays(4));
        Assert.Equal(
            [new DateTime(2027, 3, 26, 0, 0, 0), new DateTime(2027, 3, 27, 0, 0, 0), new DateTime(2027, 3, 28, 0, 0, 0), new DateTime(2027, 3, 28, 23, 0, 0), new DateTime(2027, 3, 29, 23, 0, 0)],
            occurrences.Select(o => DateTime.SpecifyKind(o.Start, DateTimeKind.Unspecified)));
    }

    [Fact]
    public void Deny_windows_are_cut_out_of_allow_windows()
    {
        var utc = TimeZoneInfo.Utc;
        var windows = new Reconcile.Compiler.Model.Windows("UTC", utc,
            [new AllowWindow("day", "0 8 * * *", TimeSpan.FromHours(8), "UTC", utc, [], null!)],
            [new DenyWindow("lunch", new DateTimeOffset(2027, 1, 4, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 1, 4, 13, 0, 0, TimeSpan.Zero), null, null, "UTC", utc, [], null!)],
            null!);
        var occurrences = WindowCalendar.Expand(windows, ["a"], new DateTime(2027, 1, 4, 0, 0, 0, DateTimeKind.Utc), TimeSpan.FromDays(1));
        Assert.Equal([(8, 12), (13, 16)], occurrences.Select(o => (o.Start.Hour, o.End.Hour)));
    }
}
