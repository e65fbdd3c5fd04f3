using System.Text.Json.Nodes;
using Reconcile.Cli.Status;

namespace Reconcile.Compiler.Tests;

/// <summary>
/// Planned against actual in `reconcile status`: a stage is behind (or ahead) by its start once it
/// started, by its end once done, by now when it should have ended or started; the ETA is the planned
/// end moved by the latest stage's lag, or the actual end once everything is done.
/// </summary>
public sealed class RunSummaryTests
{
    private static readonly DateTime Ten = new(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc);

    private static JsonObject Run(params JsonObject[] steps) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "p" },
        ["spec"] = new JsonObject
        {
            ["plan"] = "p",
            ["timeZone"] = "Europe/Berlin",
            ["stages"] = new JsonArray(
                new JsonObject { ["name"] = "s1", ["plannedStart"] = "2026-12-01T10:00:00Z", ["plannedEnd"] = "2026-12-01T11:00:00Z" },
                new JsonObject { ["name"] = "s2", ["plannedStart"] = "2026-12-01T11:00:00Z", ["plannedEnd"] = "2026-12-01T12:00:00Z" }),
        },
        ["status"] = new JsonObject
        {
            ["stages"] = new JsonArray(
                new JsonObject { ["name"] = "s1", ["steps"] = 2, ["pending"] = 2 - steps.Count(s => s["stage"]!.GetValue<string>() == "s1"), ["running"] = steps.Count(s => s["stage"]!.GetValue<string>() == "s1" && s["phase"]!.GetValue<string>() == "Running"), ["done"] = steps.Count(s => s["stage"]!.GetValue<string>() == "s1" && s["phase"]!.GetValue<string>() == "Succeeded"), ["failed"] = 0 },
                new JsonObject { ["name"] = "s2", ["steps"] = 1, ["pending"] = 1 - steps.Count(s => s["stage"]!.GetValue<string>() == "s2"), ["running"] = 0, ["done"] = steps.Count(s => s["stage"]!.GetValue<string>() == "s2" && s["phase"]!.GetValue<string>() == "Succeeded"), ["failed"] = 0 }),
            ["steps"] = new JsonArray([.. steps]),
        },
    };

    private static JsonObject Step(string id, string stage, string phase, string start, string? end = null) => new()
    {
        ["id"] = id, ["stage"] = stage, ["kind"] = "migrate", ["phase"] = phase, ["attempts"] = 1, ["startTime"] = start, ["endTime"] = end,
    };

    [Fact]
    public void Behind_and_ahead_follow_the_latest_stage_and_move_the_ETA()
    {
        // Nothing started at 10:30: half an hour behind by now.
        var waiting = RunSummary.Of(Run(), Ten.AddMinutes(30));
        Assert.Equal(TimeSpan.FromMinutes(30), waiting.Behind);
        Assert.Equal(Ten.AddHours(2).AddMinutes(30), waiting.Eta);

        // Started at 10:15: 15 minutes behind by its start, whatever the clock says before its planned end.
        var started = RunSummary.Of(Run(Step("a", "s1", "Running", "2026-12-01T10:15:00Z")), Ten.AddMinutes(40));
        Assert.Equal(TimeSpan.FromMinutes(15), started.Stages[0].Behind);
        Assert.Equal(Ten.AddHours(2).AddMinutes(15), started.Eta);

        // s1 done at 10:50 (10 minutes ahead), s2 not yet due: the campaign is ahead by s1's lag.
        var ahead = RunSummary.Of(Run(Step("a", "s1", "Succeeded", "2026-12-01T10:00:00Z", "2026-12-01T10:40:00Z"), Step("b", "s1", "Succeeded", "2026-12-01T10:05:00Z", "2026-12-01T10:50:00Z")), Ten.AddMinutes(55));
        Assert.Equal(TimeSpan.FromMinutes(-10), ahead.Stages[0].Behind);
        Assert.Equal(new DateTime(2026, 12, 1, 10, 50, 0, DateTimeKind.Utc), ahead.Stages[0].ActualEnd);
        Assert.Null(ahead.Stages[1].Behind);
        Assert.Equal(Ten.AddHours(2).AddMinutes(-10), ahead.Eta);
        Assert.Equal("2/3", $"{ahead.Done}/{ahead.Steps}");

        // Everything done: the ETA is when it ended.
        var done = RunSummary.Of(Run(Step("a", "s1", "Succeeded", "2026-12-01T10:00:00Z", "2026-12-01T10:40:00Z"), Step("b", "s1", "Succeeded", "2026-12-01T10:05:00Z", "2026-12-01T10:50:00Z"),
            Step("c", "s2", "Succeeded", "2026-12-01T11:00:00Z", "2026-12-01T11:20:00Z")), Ten.AddHours(3));
        Assert.Equal(new DateTime(2026, 12, 1, 11, 20, 0, DateTimeKind.Utc), done.Eta);
        Assert.Equal(TimeSpan.FromMinutes(-40), done.Behind);
    }
}
