using System.CommandLine;
using System.Text.Json.Nodes;
using Reconcile.Compiler;
using Reconcile.Compiler.Formatting;
using Reconcile.Simulator;

namespace Reconcile.Cli.Commands;

/// <summary>
/// `reconcile simulator serve --world PATH [--speed X] [--port N] [--start T] [--seed N] [--fault F]...`:
/// serves the Topology's clusters (with the Inventories' VMs running in them) as simulated
/// Kubernetes APIs on 127.0.0.1, prints a kubeconfig with one context per cluster, and runs until
/// stopped (Ctrl-C). A test double for drills and end-to-end tests, not a cluster.
/// </summary>
public sealed class SimulatorCommand(IOContext io, Func<DateTime> clock)
{
    public sealed record Arguments(string World, double Speed, int Port, string? Start, int Seed, IReadOnlyList<string> Faults, string? Kubeconfig);

    public static Command CreateCommand(IOContext io, Func<DateTime> clock, Func<CancellationToken>? stopped = null)
    {
        var world = new Option<string>("--world") { Description = "Plan files or a directory holding the Topology and Inventories.", Required = true };
        var speed = new Option<double>("--speed") { Description = "Simulated seconds per real second.", DefaultValueFactory = _ => 60 };
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0: any free port).", DefaultValueFactory = _ => 0 };
        var start = new Option<string>("--start") { Description = "Simulated time at start (RFC 3339); default: the current minute." };
        var seed = new Option<int>("--seed") { Description = "Seed of the dirty-rate noise.", DefaultValueFactory = _ => 1 };
        var fault = new Option<string[]>("--fault") { Description = "A fault to inject, TYPE[:key=value,...], e.g. api-error:cluster=fra-1,count=5 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "Also write the kubeconfig to this file." };
        var serve = new Command("serve", "Serve the world's clusters until stopped; prints a kubeconfig.") { world, speed, port, start, seed, fault, kubeconfig };
        serve.SetAction((parse, cancel) => new SimulatorCommand(io, clock).Serve(new Arguments(parse.GetValue(world)!, parse.GetValue(speed), parse.GetValue(port),
            parse.GetValue(start), parse.GetValue(seed), parse.GetValue(fault) ?? [], parse.GetValue(kubeconfig)), cancel));
        return new Command("simulator", "Simulated clusters: the Kubernetes API with KubeVirt migrations, for drills and tests.") { serve };
    }

    public async Task<int> Serve(Arguments arguments, CancellationToken cancel)
    {
        if (arguments.Speed <= 0)
        {
            io.Error.WriteLine("reconcile: --speed must be above 0");
            return ExitCodes.Usage;
        }

        if (PlanPipeline.ParseNow(arguments.Start, clock) is not { } start)
        {
            io.Error.WriteLine($"reconcile: --start '{arguments.Start}' is not an RFC 3339 time");
            return ExitCodes.Usage;
        }

        var validation = PlanValidator.Validate([arguments.World], io.CurrentDirectory);
        if (validation.HasErrors || validation.Model.Topologies.Length != 1)
        {
            io.Out.Write(DiagnosticRenderer.Text(validation.Diagnostics));
            io.Error.WriteLine(validation.HasErrors ? "reconcile: the world does not validate" : $"reconcile: --world must hold exactly one Topology (found {validation.Model.Topologies.Length})");
            return validation.HasInputProblem ? ExitCodes.Usage : ExitCodes.Errors;
        }

        var faults = arguments.Faults.Select(Faults.Parse).ToList();
        if (faults.Select(Faults.Problem).FirstOrDefault(p => p is not null) is { } problem)
        {
            io.Error.WriteLine($"reconcile: --fault: {problem}");
            return ExitCodes.Usage;
        }

        SimulatorHost host;
        try
        {
            host = await SimulatorHost.StartAsync(validation.Model.Topologies[0], validation.Model.Inventories, new SimulatorOptions(start, arguments.Speed, arguments.Port, arguments.Seed, faults));
        }
        catch (Exception e) when (e is ArgumentException or IOException or System.Net.Sockets.SocketException)
        {
            io.Error.WriteLine($"reconcile: cannot start the simulator: {e.Message}");
            return ExitCodes.Usage;
        }

        await using (host)
        {
            var config = host.Kubeconfig();
            io.Out.Write(config);
            io.Out.Flush();
            if (arguments.Kubeconfig is { } path)
            {
                await File.WriteAllTextAsync(Path.GetFullPath(path, io.CurrentDirectory), config, cancel);
            }

            io.Error.WriteLine($"reconcile: simulating {string.Join(", ", host.World.Clusters.Keys)} at {host.BaseAddress} ({arguments.Speed}x); Ctrl-C stops");
            try
            {
                await Task.Delay(Timeout.Infinite, cancel);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return ExitCodes.Success;
    }
}
