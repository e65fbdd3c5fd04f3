using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Reconcile.Compiler.Diagnostics;
using Reconcile.Compiler.Model;

namespace Reconcile.Compiler.Planning;

/// <summary>Writes the graph as graph.json (the contract), graph.dot, graph.mmd and a text summary. Byte-identical for identical graphs.</summary>
public static class GraphWriter
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string KindName(StepKind kind) => kind switch
    {
        StepKind.Snapshot => "snapshot",
        StepKind.ReplicateStorage => "replicate-storage",
        StepKind.Migrate => "migrate",
        StepKind.Verify => "verify",
        _ => "gate",
    };

    public static string Time(DateTime time) => Facts.Timestamps.Format(time);

    public static string Json(ExecutionGraph graph)
    {
        using var stream = new MemoryStream();
        Json(graph, stream);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>graph.json as UTF-8 into <paramref name="stream"/>, ending in a newline.</summary>
    public static void Json(ExecutionGraph graph, Stream stream)
    {
        using (var json = new Utf8JsonWriter(stream, Indented))
        {
            json.WriteStartObject();
            json.WriteString("apiVersion", "migration.reconcile.dev/v1alpha1");
            json.WriteString("kind", "ExecutionGraph");
            json.WriteString("plan", graph.Plan);
            json.WriteStartObject("source");
            WriteNullable(json, "revision", graph.Revision);
            json.WriteString("digest", graph.Digest);
            json.WriteEndObject();
            json.WriteString("start", Time(graph.Start));
            json.WriteNumber("makespanSeconds", graph.MakespanSeconds);
            json.WriteNumber("lowerBoundSeconds", graph.LowerBoundSeconds);
            json.WriteStartObject("lowerBound");
            json.WriteNumber("chainSeconds", graph.LowerBound.ChainSeconds);
            json.WriteNumber("linkSeconds", graph.LowerBound.LinkSeconds);
            json.WriteNumber("clusterSeconds", graph.LowerBound.ClusterSeconds);
            WriteNullable(json, "binding", graph.LowerBound.BindingResource);
            json.WriteEndObject();
            json.WriteStartObject("limits");
            WriteMap(json, "perCluster", graph.Limits.PerCluster, (w, v) => w.WriteNumberValue(v));
            json.WriteNumber("perNode", graph.Limits.PerNode);
            WriteMap(json, "perLink", graph.Limits.PerLink, (w, v) => w.WriteNumberValue(v));
            WriteMap(json, "linkBandwidthBps", graph.Limits.LinkBandwidthBps, (w, v) => w.WriteNumberValue(v));
            json.WriteEndObject();
            json.WriteStartArray("windows");
            foreach (var window in graph.Windows)
            {
                json.WriteStartObject();
                json.WriteString("name", window.Name);
                json.WriteString("start", Time(window.Start));
                json.WriteString("end", Time(window.End));
                WriteStrings(json, "clusters", window.Clusters);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("stages");
            foreach (var stage in graph.Stages)
            {
                json.WriteStartObject();
                json.WriteString("id", stage.Id);
                json.WriteString("name", stage.Name);
                WriteNullable(json, "window", stage.Window);
                WriteStrings(json, "dependsOn", stage.DependsOn);
                WriteStrings(json, "steps", stage.Steps);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("steps");
            foreach (var step in graph.Steps)
            {
                WriteStep(json, step);
                // The writer buffers until flushed: without this, 160 MB at 100,000 VMs grew in memory first.
                if (json.BytesPending > 1 << 16)
                {
                    json.Flush();
                }
            }

            json.WriteEndArray();
            json.WriteStartArray("diagnostics");
            foreach (var d in graph.Diagnostics)
            {
                json.WriteStartObject();
                json.WriteString("code", d.Code);
                json.WriteString("severity", d.Severity.ToText());
                json.WriteString("message", d.Message);
                json.WriteString("file", d.Location.File);
                json.WriteNumber("line", d.Location.Line);
                json.WriteNumber("column", d.Location.Column);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
    }

    private static void WriteStep(Utf8JsonWriter json, GraphStep step)
    {
        json.WriteStartObject();
        json.WriteString("id", step.Id);
        json.WriteString("kind", KindName(step.Kind));
        WriteNullable(json, "vm", step.Vm);
        WriteNullable(json, "move", step.Move);
        WriteEndpoint(json, "from", step.From, withNode: true);
        WriteEndpoint(json, "to", step.To, withNode: false);
        WriteNullable(json, "link", step.Link);
        json.WriteString("stage", step.Stage);
        json.WriteNumber("priority", step.Priority);
        WriteStrings(json, "dependsOn", step.DependsOn);
        json.WriteString("plannedStart", Time(step.PlannedStart));
        json.WriteString("plannedEnd", Time(step.PlannedEnd));
        json.WriteNumber("bandwidthBps", step.BandwidthBps);
        json.WriteStartObject("predicted");
        json.WriteNumber("seconds", step.Predicted.Seconds);
        json.WriteNumber("bytes", step.Predicted.Bytes);
        json.WriteNumber("rounds", step.Predicted.Rounds);
        json.WriteNumber("downtimeMs", step.Predicted.DowntimeMs);
        json.WriteBoolean("converges", step.Predicted.Converges);
        if (step.Predicted.Transfer is { } transfer)
        {
            json.WriteString("mode", ModeName(transfer.Mode));
            json.WriteStartObject("transfer");
            json.WriteNumber("memoryBytes", transfer.MemoryBytes);
            json.WriteNumber("diskBytes", transfer.DiskBytes);
            json.WriteNumber("memoryConnections", transfer.MemoryConnections);
            json.WriteNumber("diskConnections", transfer.DiskConnections);
            json.WriteNumber("perConnectionBps", transfer.PerConnectionBytesPerSecond);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static string ModeName(TransferMode mode) => mode switch
    {
        TransferMode.Live => "live",
        TransferMode.Cold => "cold",
        TransferMode.StagedCutover => "staged-cutover",
        _ => "replicate",
    };

    private static void WriteEndpoint(Utf8JsonWriter json, string name, Endpoint? endpoint, bool withNode)
    {
        if (endpoint is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        json.WriteString("cluster", endpoint.Cluster);
        if (withNode)
        {
            WriteNullable(json, "node", endpoint.Node);
        }

        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static void WriteMap<T>(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, T> map, Action<Utf8JsonWriter, T> write)
    {
        json.WriteStartObject(name);
        foreach (var key in map.Keys.Order(StringComparer.Ordinal))
        {
            json.WritePropertyName(key);
            write(json, map[key]);
        }

        json.WriteEndObject();
    }

    /// <summary>Graphviz: one cluster box per stage, one node per step, an edge per dependency.</summary>
    public static string Dot(ExecutionGraph graph)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Dot(graph, text);
        return text.ToString();
    }

    /// <summary>As <see cref="Dot(ExecutionGraph)"/>, into <paramref name="text"/> (tens of MB at 100,000 VMs).</summary>
    public static void Dot(ExecutionGraph graph, TextWriter text)
    {
        var byId = graph.Steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        text.Write($"digraph \"{graph.Plan}\" {{\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n");
        foreach (var stage in graph.Stages)
        {
            text.Write($"  subgraph \"cluster_{stage.Id}\" {{\n    label=\"{stage.Id}: {stage.Name}{(stage.Window is null ? "" : $" ({stage.Window})")}\";\n");
            foreach (var id in stage.Steps)
            {
                var step = byId[id];
                text.Write($"    \"{id}\" [label=\"{id}\\n{Time(step.PlannedStart)} +{Quantities.FormatSeconds(step.Predicted.Seconds)}\"{Shape(step.Kind)}];\n");
            }

            text.Write("  }\n");
        }

        foreach (var step in graph.Steps)
        {
            foreach (var dependency in step.DependsOn)
            {
                text.Write($"  \"{dependency}\" -> \"{step.Id}\";\n");
            }
        }

        text.Write("}\n");
    }

    private static string Shape(StepKind kind) => kind switch
    {
        StepKind.Gate => ", shape=diamond",
        StepKind.Migrate => ", style=bold",
        StepKind.Verify => ", shape=ellipse",
        _ => "",
    };

    /// <summary>Mermaid flowchart: a subgraph per stage, a node per step, an edge per dependency.</summary>
    public static string Mermaid(ExecutionGraph graph)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Mermaid(graph, text);
        return text.ToString();
    }

    /// <summary>As <see cref="Mermaid(ExecutionGraph)"/>, into <paramref name="text"/> (tens of MB at 100,000 VMs).</summary>
    public static void Mermaid(ExecutionGraph graph, TextWriter text)
    {
        text.Write("flowchart LR\n");
        var ids = graph.Steps.Select((s, i) => (s.Id, i)).ToDictionary(x => x.Id, x => $"s{x.i}", StringComparer.Ordinal);
        var byId = graph.Steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        foreach (var stage in graph.Stages)
        {
            text.Write($"  subgraph {stage.Id}[\"{stage.Id}: {stage.Name}\"]\n");
            foreach (var id in stage.Steps)
            {
                var step = byId[id];
                var label = $"{id}<br/>{Time(step.PlannedStart)} +{Quantities.FormatSeconds(step.Predicted.Seconds)}";
                text.Write(step.Kind == StepKind.Gate ? $"    {ids[id]}{{\"{label}\"}}\n" : $"    {ids[id]}[\"{label}\"]\n");
            }

            text.Write("  end\n");
        }

        foreach (var step in graph.Steps)
        {
            foreach (var dependency in step.DependsOn)
            {
                text.Write($"  {ids[dependency]} --> {ids[step.Id]}\n");
            }
        }
    }

    private static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    /// <summary>What a person reads first: stages, windows, each VM's predicted migration, makespan against the bound.</summary>
    public static string Summary(ExecutionGraph graph, bool suspended)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Summary(graph, suspended, text);
        return text.ToString();
    }

    /// <summary>As <see cref="Summary(ExecutionGraph, bool)"/>, into <paramref name="text"/> (tens of MB at 100,000 VMs).</summary>
    public static void Summary(ExecutionGraph graph, bool suspended, TextWriter text)
    {
        var migrations = graph.Steps.Where(s => s.Kind == StepKind.Migrate).ToList();
        var vms = graph.Steps.Where(s => s.Vm is not null).Select(s => s.Vm).Distinct().Count();
        text.Write($"Plan {graph.Plan}: {Plural(vms, "VM")}, {Plural(migrations.Count, "migration")} in {Plural(graph.Stages.Count, "stage")}{(suspended ? " (suspended: the reconciler starts nothing)" : "")}\n");
        text.Write($"Start     {Time(graph.Start)}\n");
        text.Write($"End       {Time(graph.Start.AddSeconds(graph.MakespanSeconds))}\n");
        var ratio = graph.LowerBoundSeconds > 0 ? ((double)graph.MakespanSeconds / graph.LowerBoundSeconds).ToString("0.00", CultureInfo.InvariantCulture) : "-";
        text.Write($"Makespan  {Quantities.FormatSeconds(graph.MakespanSeconds)}, lower bound {Quantities.FormatSeconds(graph.LowerBoundSeconds)} ({graph.LowerBound.BindingResource ?? "nothing to move"}), ratio {ratio}\n");
        text.Write($"Moved     {Quantities.FormatBytes(migrations.Sum(s => s.Predicted.Bytes) + graph.Steps.Where(s => s.Kind == StepKind.ReplicateStorage).Sum(s => s.Predicted.Bytes))}\n\n");

        text.Write("Stages\n");
        foreach (var stage in graph.Stages)
        {
            var steps = graph.Steps.Where(s => s.Stage == stage.Id).ToList();
            text.Write($"  {stage.Id,-9} {stage.Name,-24} {Plural(steps.Count(s => s.Kind == StepKind.Migrate), "migration"),-14}  {Time(steps.Min(s => s.PlannedStart))} .. {Time(steps.Max(s => s.PlannedEnd))}");
            text.Write(stage.DependsOn.Count > 0 ? $"  after {string.Join(", ", stage.DependsOn)}\n" : "\n");
        }

        if (graph.Windows.Count > 0)
        {
            text.Write("\nWindows used\n");
            foreach (var window in graph.Windows)
            {
                text.Write($"  {window.Name,-20} {Time(window.Start)} .. {Time(window.End)}  clusters {string.Join(",", window.Clusters)}\n");
            }
        }

        text.Write("\nMigrations\n");
        text.Write("  start                 end                   VM                              hop                      bytes      rounds downtime\n");
        foreach (var step in migrations)
        {
            var hop = $"{step.From!.Cluster}->{step.To!.Cluster}";
            text.Write(string.Create(CultureInfo.InvariantCulture,
                $"  {Time(step.PlannedStart)}  {Time(step.PlannedEnd)}  {step.Vm,-30}  {hop,-23}  {Quantities.FormatBytes(step.Predicted.Bytes),-9}  {step.Predicted.Rounds,6} {Quantities.FormatDuration(TimeSpan.FromMilliseconds(step.Predicted.DowntimeMs)),8}\n"));
        }
    }
}
