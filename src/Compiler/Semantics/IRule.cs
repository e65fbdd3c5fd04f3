using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Semantics;

/// <summary>A check over all documents together (names, cross-document references).</summary>
public interface ISetRule
{
    void Check(PlanSet set, IDiagnosticWriter diagnostics);
}

/// <summary>A check of one MigrationPlan against its topology and inventories.</summary>
public interface IPlanRule
{
    void Check(PlanScope scope, IDiagnosticWriter diagnostics);
}
