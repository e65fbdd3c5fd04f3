using Reconcile.Compiler.Execution;
using Reconcile.Compiler.Planning;
using Reconcile.Compiler.Rendering;
using Reconcile.Reconciler.Execution;

namespace Reconcile.Compiler.Tests;

/// <summary>The typed contract the compiler hands the reconciler (issue 13): every step has a manifest, and every object a role.</summary>
public sealed class StepContractTests
{
    public static TheoryData<string> Examples() => new() { "node-drain", "onprem-to-cloud", "fra-to-sgp" };

    private static CompilationResult Compile(string example)
    {
        var validation = PlanValidator.Validate([$"plans/examples/{example}"], Repository.Root);
        return Compilation.Run(validation, PlannerTests.Now, new TemplateSet(null, Repository.Root));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_step_has_a_manifest_whose_action_and_roles_match_what_it_moves(string example)
    {
        var result = Compile(example);
        var plan = result.Plans.Single();
        foreach (var step in plan.Graph.Steps)
        {
            var manifest = plan.Manifest(step.Id);
            var expected = step.Kind switch
            {
                StepKind.Snapshot => StepAction.Snapshot,
                StepKind.ReplicateStorage => StepAction.Replicate,
                StepKind.Verify => StepAction.Verify,
                StepKind.Gate => StepAction.Gate,
                _ => step.From!.Cluster == step.To!.Cluster ? StepAction.LocalMigration : step.Predicted.Transfer!.Mode switch
                {
                    TransferMode.Live => StepAction.LiveMigration,
                    TransferMode.Cold => StepAction.ColdMigration,
                    _ => StepAction.StagedCutover,
                },
            };
            Assert.Equal(expected, manifest.Action);

            // Every object names a rendered document of its cluster's file.
            foreach (var placed in manifest.Objects.Concat(manifest.Rollback))
            {
                Assert.StartsWith(placed.Cluster + "/", placed.File);
                var documents = result.Files[plan.Prefix + placed.File].Split("---\n");
                Assert.InRange(placed.Document, 0, documents.Length - 1);
            }

            var roles = manifest.Objects.Select(o => (o.Cluster, o.Role)).ToHashSet();
            var rollback = manifest.Rollback.Select(o => (o.Cluster, o.Role)).ToHashSet();
            switch (manifest.Action)
            {
                case StepAction.LiveMigration:
                    Assert.Subset(roles, new HashSet<(string, ObjectRole)> { (step.To!.Cluster, ObjectRole.ReceiverVm), (step.To.Cluster, ObjectRole.ReceiveMigration), (step.From!.Cluster, ObjectRole.SenderMigration) });
                    Assert.Subset(rollback, new HashSet<(string, ObjectRole)> { (step.From.Cluster, ObjectRole.RollbackReceiverVm), (step.From.Cluster, ObjectRole.RollbackReceiveMigration), (step.To.Cluster, ObjectRole.RollbackSenderMigration) });
                    break;
                case StepAction.LocalMigration:
                    Assert.Equal([ObjectRole.LocalMigration], manifest.Objects.Select(o => o.Role));
                    Assert.Equal([ObjectRole.RollbackMigration], manifest.Rollback.Select(o => o.Role));
                    break;
                case StepAction.ColdMigration:
                    Assert.Subset(roles, new HashSet<(string, ObjectRole)> { (step.From!.Cluster, ObjectRole.SourceHalt), (step.From.Cluster, ObjectRole.Export), (step.To!.Cluster, ObjectRole.ReceiverVm) });
                    Assert.NotNull(manifest.Import);
                    Assert.Subset(rollback, new HashSet<(string, ObjectRole)> { (step.To.Cluster, ObjectRole.RollbackHaltCopy), (step.From.Cluster, ObjectRole.RollbackRestartOriginal) });
                    break;
                case StepAction.StagedCutover:
                    Assert.Subset(roles, new HashSet<(string, ObjectRole)> { (step.From!.Cluster, ObjectRole.SourceHalt), (step.From.Cluster, ObjectRole.SourceReplica), (step.To!.Cluster, ObjectRole.TargetReplica), (step.To.Cluster, ObjectRole.ReceiverVm) });
                    Assert.Subset(rollback, new HashSet<(string, ObjectRole)> { (step.To.Cluster, ObjectRole.RollbackDemote), (step.From.Cluster, ObjectRole.RollbackPromote), (step.From.Cluster, ObjectRole.RollbackRestartOriginal) });
                    break;
                case StepAction.Verify or StepAction.Gate:
                    Assert.Empty(manifest.Objects);
                    break;
            }
        }
    }

    [Fact]
    public void The_campaign_hands_out_each_object_by_its_role_parsed_from_what_compile_wrote()
    {
        var result = Compile("fra-to-sgp");
        var campaign = CompiledCampaign.Of(result, result.Plans.Single().Name);
        var live = campaign.Graph.Steps.First(s => campaign.Manifest(s).Action == StepAction.LiveMigration);
        var sender = campaign.Objects(live, ObjectRole.SenderMigration).Single();
        Assert.Equal("VirtualMachineInstanceMigration", sender.Kind);
        Assert.NotNull(sender.Object["spec"]!["sendTo"]);
        Assert.NotNull(campaign.Objects(live, ObjectRole.ReceiveMigration).Single().Object["spec"]!["receive"]);
        // Copies: changing one does not change the next.
        sender.Object["metadata"]!["name"] = "changed";
        Assert.NotEqual("changed", campaign.Objects(live, ObjectRole.SenderMigration).Single().Name);
    }

    [Fact]
    public void Backoff_doubles_is_capped_and_spreads_by_its_jitter()
    {
        Assert.Equal([30, 60, 120, 240, 480, 600, 600], Enumerable.Range(1, 7).Select(a => Backoff.Fixed.After(a).TotalSeconds));
        var low = Backoff.Default with { Random = () => 0 };
        var high = Backoff.Default with { Random = () => 1 };
        Assert.Equal(24, low.After(1).TotalSeconds);
        Assert.Equal(36, high.After(1).TotalSeconds);
        Assert.Equal(600, high.After(9).TotalSeconds);
        Assert.Equal(480, low.After(9).TotalSeconds);
    }
}
