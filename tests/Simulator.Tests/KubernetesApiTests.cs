using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Reconcile.Simulator.Tests;

/// <summary>The simulated API through the official C# client (typed and generic calls) and plain HTTP, as a real API server answers.</summary>
public sealed class KubernetesApiTests
{
    private static V1ConfigMap ConfigMap(string name, string value, IDictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Data = new Dictionary<string, string> { ["key"] = value },
    };

    [Fact]
    public async Task Typed_calls_create_read_update_list_and_delete_with_optimistic_concurrency()
    {
        await using var sim = await RunningSimulator.Start("node-drain");
        using var client = sim.Client("ber-1");
        var version = await client.Version.GetCodeAsync();
        Assert.Contains("simulator", version.GitVersion);
        Assert.Equal(6, (await client.CoreV1.ListNodeAsync()).Items.Count);

        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("plan", "v1", new Dictionary<string, string> { ["app"] = "reconcile" }), "default");
        Assert.NotNull(created.Metadata.ResourceVersion);
        Assert.NotNull(created.Metadata.Uid);
        created.Data["key"] = "v2";
        var updated = await client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "plan", "default");
        Assert.True(long.Parse(updated.Metadata.ResourceVersion) > long.Parse(created.Metadata.ResourceVersion));

        // The stale copy is refused with 409 and a Kubernetes Status.
        created.Data["key"] = "v3";
        var stale = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "plan", "default"));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
        var status = JsonNode.Parse(stale.Response.Content)!;
        Assert.Equal(("Status", "Conflict", 409), (status["kind"]!.GetValue<string>(), status["reason"]!.GetValue<string>(), status["code"]!.GetValue<int>()));

        var duplicate = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("plan", "x"), "default"));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.Response.StatusCode);
        Assert.Contains("AlreadyExists", duplicate.Response.Content);

        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("other", "x"), "default");
        Assert.Equal(["plan"], (await client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "app=reconcile")).Items.Select(c => c.Metadata.Name));
        Assert.Equal(["other"], (await client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "!app")).Items.Select(c => c.Metadata.Name));
        Assert.Equal(["other"], (await client.CoreV1.ListNamespacedConfigMapAsync("default", fieldSelector: "metadata.name=other")).Items.Select(c => c.Metadata.Name));

        await client.CoreV1.DeleteNamespacedConfigMapAsync("plan", "default");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedConfigMapAsync("plan", "default"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
        Assert.Contains("\"reason\":\"NotFound\"", gone.Response.Content);
    }

    [Fact]
    public async Task Generic_calls_reach_KubeVirt_kinds_and_custom_resources_once_their_CRD_is_applied()
    {
        await using var sim = await RunningSimulator.Start("node-drain");
        using var client = sim.Client("ber-1");
        var vmis = Text(await client.CustomObjects.ListNamespacedCustomObjectAsync("kubevirt.io", "v1", "monitoring", "virtualmachineinstances"));
        Assert.Contains("grafana-0", vmis);

        // Reconcile's own MigrationRun CRD, as `compile` renders it: applied, then served.
        using var output = new TempDirectory();
        Assert.Equal(0, Reconcile.Cli.Program.Run(["compile", "plans/examples/node-drain", "--out", output.Path, "--now", "2026-12-01T00:00:00Z"],
            new Reconcile.Cli.IOContext(new StringWriter(), new StringWriter(), Repository.Root)));
        var crd = Yaml(File.ReadAllText(output.File("run/migrationrun-crd.yaml")));
        var run = Yaml(File.ReadAllText(output.File("run/migrationrun.yaml")));
        using var http = sim.Http("ber-1");
        var applied = await Apply(http, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/migrationruns.migration.reconcile.dev", crd, "reconcile");
        Assert.Equal(HttpStatusCode.Created, applied.StatusCode);
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "reconcile-system" } }).ContinueWith(_ => { });
        var group = run["apiVersion"]!.GetValue<string>().Split('/');
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(run, group[0], group[1], "reconcile-system", "migrationruns");
        var listed = Text(await client.CustomObjects.ListNamespacedCustomObjectAsync(group[0], group[1], "reconcile-system", "migrationruns"));
        Assert.Contains(run["metadata"]!["name"]!.GetValue<string>(), listed);

        // The status subresource changes status only; the main resource ignores status.
        var name = run["metadata"]!["name"]!.GetValue<string>();
        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch("{\"status\":{\"phase\":\"Running\"},\"spec\":{\"suspend\":true}}", V1Patch.PatchType.MergePatch),
            group[0], group[1], "reconcile-system", "migrationruns", name);
        var after = JsonNode.Parse(Text(await client.CustomObjects.GetNamespacedCustomObjectAsync(group[0], group[1], "reconcile-system", "migrationruns", name)))!;
        Assert.Equal("Running", after["status"]!["phase"]!.GetValue<string>());
        Assert.Equal(run["spec"]!["suspend"]?.ToJsonString(), after["spec"]!["suspend"]?.ToJsonString());
    }

    [Fact]
    public async Task Server_side_apply_owns_fields_per_manager_reports_conflicts_and_forces()
    {
        await using var sim = await RunningSimulator.Start("node-drain");
        using var client = sim.Client("ber-1");
        var patch = (string data) => new V1Patch($"{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"owned\"}},\"data\":{data}}}", V1Patch.PatchType.ApplyPatch);

        var first = await client.CoreV1.PatchNamespacedConfigMapAsync(patch("{\"a\":\"1\",\"b\":\"1\"}"), "owned", "default", fieldManager: "reconcile");
        var again = await client.CoreV1.PatchNamespacedConfigMapAsync(patch("{\"a\":\"1\",\"b\":\"1\"}"), "owned", "default", fieldManager: "reconcile");
        Assert.Equal(first.Metadata.ResourceVersion, again.Metadata.ResourceVersion);
        Assert.Equal("Apply", Assert.Single(first.Metadata.ManagedFields).Operation);

        // Another manager may add its own field, but not change one reconcile owns...
        await client.CoreV1.PatchNamespacedConfigMapAsync(patch("{\"c\":\"1\"}"), "owned", "default", fieldManager: "operator");
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.PatchNamespacedConfigMapAsync(patch("{\"a\":\"2\"}"), "owned", "default", fieldManager: "operator"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        Assert.True(conflict.Response.Content.Contains("conflict with \\\"reconcile\\\": .data.a", StringComparison.Ordinal), conflict.Response.Content);
        Assert.Contains("FieldManagerConflict", conflict.Response.Content);

        // ...unless it forces, and then the field is its own.
        var forced = await client.CoreV1.PatchNamespacedConfigMapAsync(patch("{\"a\":\"2\",\"c\":\"1\"}"), "owned", "default", fieldManager: "operator", force: true);
        Assert.Equal("2", forced.Data["a"]);
        var owners = forced.Metadata.ManagedFields.ToDictionary(m => m.Manager, m => m.FieldsV1.ToString());
        Assert.DoesNotContain("f:a", owners["reconcile"]);
        Assert.Contains("f:a", owners["operator"]);

        // A field its manager stops applying is removed; one someone else owns stays.
        var dropped = await client.CoreV1.PatchNamespacedConfigMapAsync(patch("{\"a\":\"2\"}"), "owned", "default", fieldManager: "operator");
        Assert.False(dropped.Data.ContainsKey("c"));
        Assert.Equal("1", dropped.Data["b"]);
    }

    [Fact]
    public async Task Merge_and_json_patches_and_a_Lease_for_leader_election_work()
    {
        await using var sim = await RunningSimulator.Start("node-drain");
        using var client = sim.Client("ber-1");
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("p", "v1"), "default");
        var merged = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"key\":null,\"new\":\"x\"}}", V1Patch.PatchType.MergePatch), "p", "default");
        Assert.Equal(["new"], merged.Data.Keys);
        var jsonPatched = await client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("[{\"op\":\"test\",\"path\":\"/data/new\",\"value\":\"x\"},{\"op\":\"replace\",\"path\":\"/data/new\",\"value\":\"y\"}]", V1Patch.PatchType.JsonPatch), "p", "default");
        Assert.Equal("y", jsonPatched.Data["new"]);
        var failedTest = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("[{\"op\":\"test\",\"path\":\"/data/new\",\"value\":\"x\"}]", V1Patch.PatchType.JsonPatch), "p", "default"));
        Assert.Equal((HttpStatusCode)422, failedTest.Response.StatusCode);

        var lease = await client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "reconcile" },
            Spec = new V1LeaseSpec { HolderIdentity = "a", LeaseDurationSeconds = 15 },
        }, "reconcile-system");
        lease.Spec.HolderIdentity = "b";
        Assert.Equal("b", (await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "reconcile", "reconcile-system")).Spec.HolderIdentity);
    }

    [Fact]
    public async Task Patches_are_reapplied_over_concurrent_writes_unless_they_name_a_resourceVersion()
    {
        await using var sim = await RunningSimulator.Start("node-drain");
        using var client = sim.Client("ber-1");
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("busy", "0"), "default");

        // Writers on one object at once, as the reconciler's apply meets a controller's status write:
        // the API server re-reads and re-applies, so none of them sees a 409.
        var writers = Enumerable.Range(0, 6).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var body = $"{{\"data\":{{\"w{writer}\":\"{i}\"}}}}";
                if (writer % 2 == 0)
                {
                    await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(body, V1Patch.PatchType.MergePatch), "busy", "default");
                }
                else
                {
                    var applied = new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = "busy" }, Data = new Dictionary<string, string> { [$"w{writer}"] = $"{i}" } };
                    await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(applied, V1Patch.PatchType.ApplyPatch), "busy", "default", fieldManager: $"writer-{writer}");
                }
            }
        }));
        await Task.WhenAll(writers);
        var final = await client.CoreV1.ReadNamespacedConfigMapAsync("busy", "default");
        Assert.All(Enumerable.Range(0, 6), writer => Assert.Equal("39", final.Data[$"w{writer}"]));

        // A resourceVersion the client sends is a precondition.
        var stale = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("{\"metadata\":{\"resourceVersion\":\"1\"},\"data\":{\"x\":\"y\"}}", V1Patch.PatchType.MergePatch), "busy", "default"));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
    }

    [Fact]
    public async Task Watches_stream_changes_resume_from_a_version_send_bookmarks_and_expire_old_versions()
    {
        await using var sim = await RunningSimulator.Start("node-drain", historyLimit: 20);
        using var client = sim.Client("ber-1");
        var start = (await client.CoreV1.ListNamespacedConfigMapAsync("default")).Metadata.ResourceVersion;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<(WatchEventType, string)>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, item) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: start, cancellationToken: cancel.Token))
            {
                seen.Add((type, item.Metadata.Name));
                if (type == WatchEventType.Deleted)
                {
                    return;
                }
            }
        });
        await Task.Delay(200);
        var made = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("w", "1"), "default");
        made.Data["key"] = "2";
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(made, "w", "default");
        await client.CoreV1.DeleteNamespacedConfigMapAsync("w", "default");
        await watching;
        Assert.Equal([(WatchEventType.Added, "w"), (WatchEventType.Modified, "w"), (WatchEventType.Deleted, "w")], seen);

        using var http = sim.Http("ber-1");
        // Resuming from the list's version replays what happened since.
        var replay = await http.GetStringAsync($"api/v1/namespaces/default/configmaps?watch=true&resourceVersion={start}&timeoutSeconds=1");
        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], replay.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["type"]!.GetValue<string>()));
        // Bookmarks while nothing happens.
        var quiet = await http.GetStringAsync("api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + (await client.CoreV1.ListNamespacedConfigMapAsync("default")).Metadata.ResourceVersion + "&allowWatchBookmarks=true&timeoutSeconds=3");
        Assert.Contains("\"type\":\"BOOKMARK\"", quiet);
        // Past the kept history: an ERROR event with a 410 Status, and the client lists again.
        for (var i = 0; i < 30; i++)
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap($"fill-{i}", "x"), "default");
        }

        var expired = JsonNode.Parse((await http.GetStringAsync($"api/v1/namespaces/default/configmaps?watch=true&resourceVersion={start}")).Trim())!;
        Assert.Equal(("ERROR", 410, "Expired"), (expired["type"]!.GetValue<string>(), expired["object"]!["code"]!.GetValue<int>(), expired["object"]!["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Injected_API_faults_answer_with_the_right_codes_and_Status_bodies()
    {
        await using var sim = await RunningSimulator.Start("node-drain");
        using var control = new HttpClient { BaseAddress = sim.Host.BaseAddress };
        using var client = sim.Client("ber-1");

        async Task Inject(string json) => Assert.Equal(HttpStatusCode.Accepted, (await control.PostAsync("simulator/faults", new StringContent(json, Encoding.UTF8, "application/json"))).StatusCode);

        await Inject("{\"type\":\"api-error\",\"cluster\":\"ber-1\",\"count\":2,\"code\":503}");
        for (var i = 0; i < 2; i++)
        {
            var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNodeAsync());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, e.Response.StatusCode);
            Assert.Contains("\"kind\":\"Status\"", e.Response.Content);
        }

        Assert.NotEmpty((await client.CoreV1.ListNodeAsync()).Items);

        await Inject("{\"type\":\"throttle\",\"count\":1}");
        using var http = sim.Http("ber-1");
        var throttled = await http.GetAsync("api/v1/nodes");
        Assert.Equal((HttpStatusCode)429, throttled.StatusCode);
        Assert.Equal("1", throttled.Headers.GetValues("Retry-After").Single());

        // Conflicts hit writes only.
        await Inject("{\"type\":\"conflict\",\"cluster\":\"ber-1\",\"count\":1}");
        Assert.NotEmpty((await client.CoreV1.ListNodeAsync()).Items);
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("c", "1"), "default"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("c", "1"), "default");

        // A dropped watch ends the stream; the client watches again from its last version.
        var watch = http.GetStringAsync("api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1&timeoutSeconds=30");
        await Task.Delay(300);
        await Inject("{\"type\":\"drop-watches\",\"cluster\":\"ber-1\"}");
        Assert.True(await Task.WhenAny(watch, Task.Delay(TimeSpan.FromSeconds(10))) == watch, "the watch did not end");

        Assert.Equal(HttpStatusCode.BadRequest, (await control.PostAsync("simulator/faults", new StringContent("{\"type\":\"meteor\"}", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(4, JsonNode.Parse(await control.GetStringAsync("simulator/faults"))!.AsArray().Count);
    }

    [Fact]
    public async Task Time_and_metrics_are_exposed()
    {
        await using var sim = await RunningSimulator.Start("node-drain");
        using var control = new HttpClient { BaseAddress = sim.Host.BaseAddress };
        var advanced = JsonNode.Parse(await (await control.PostAsync("simulator/time", new StringContent("{\"advance\":\"2h\"}", Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync())!;
        Assert.Equal("2027-02-01T02:00:00Z", advanced["now"]!.GetValue<string>());

        using var client = sim.Client("ber-1");
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(new Dictionary<string, object>
        {
            ["apiVersion"] = "kubevirt.io/v1",
            ["kind"] = "VirtualMachineInstanceMigration",
            ["metadata"] = new Dictionary<string, object> { ["name"] = "m" },
            ["spec"] = new Dictionary<string, object> { ["vmiName"] = "erp-db-0" },
        }, "kubevirt.io", "v1", "erp", "virtualmachineinstancemigrations");
        await control.PostAsync("simulator/time", new StringContent("{\"advance\":\"15s\"}", Encoding.UTF8, "application/json"));
        var metrics = await control.GetStringAsync("metrics");
        Assert.Contains("kubevirt_vmi_migration_data_processed_bytes{cluster=\"ber-1\",namespace=\"erp\",name=\"erp-db-0\"", metrics);
        Assert.Contains("kubevirt_vmi_migration_data_remaining_bytes{", metrics);
        Assert.Contains("kubevirt_vmi_migration_dirty_memory_rate_bytes{", metrics);
        Assert.Contains("kubevirt_vmi_migrations_in_running_phase{cluster=\"ber-1\"} 1", metrics);
    }

    private static JsonObject Yaml(string text)
    {
        var documents = new List<Reconcile.Compiler.Loading.PlanDocument>();
        Reconcile.Compiler.Loading.PlanLoader.LoadText("x.yaml", text, documents, []);
        return (JsonObject)documents.Single().Root!;
    }

    private static Task<HttpResponseMessage> Apply(HttpClient http, string path, JsonObject body, string manager)
    {
        var content = new StringContent(body.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/apply-patch+yaml");
        return http.PatchAsync(path.TrimStart('/') + $"?fieldManager={manager}", content);
    }

    /// <summary>The generic client returns a JsonElement as object; its text.</summary>
    private static string Text(object value) => value.ToString() ?? "";
}
