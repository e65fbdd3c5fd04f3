using Reconcile.Compiler.Diagnostics;

namespace Reconcile.Compiler.Semantics.Rules;

/// <summary>RC5007/RC5008: spec.suppress names only existing warning or info codes.</summary>
public sealed class SuppressRule : IPlanRule
{
    public void Check(PlanScope scope, IDiagnosticWriter diagnostics)
    {
        var suppress = scope.Plan.Suppress;
        for (var i = 0; i < suppress.Length; i++)
        {
            var at = scope.Plan.Source.Child("spec").At("suppress", i);
            var descriptor = DiagnosticCatalog.Find(suppress[i]);
            if (descriptor is null)
            {
                diagnostics.Write(DiagnosticCatalog.SuppressUnknownCode.At(at, $"{suppress[i]} is not a Reconcile diagnostic code"));
            }
            else if (descriptor.Severity == Severity.Error)
            {
                diagnostics.Write(DiagnosticCatalog.SuppressError.At(at, $"{suppress[i]} ({descriptor.Name}) is an error and cannot be suppressed"));
            }
        }
    }
}
