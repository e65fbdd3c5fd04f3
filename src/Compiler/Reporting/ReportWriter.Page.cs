namespace Reconcile.Compiler.Reporting;

/// <summary>
/// The report's style and script. The script shows hover details, zooms the timelines (fit to the
/// window, in and out, Ctrl+wheel), and turns the page into a live view from `reconcile status -o json`:
/// picked as a file, or fetched from `?live=status.json` (a relative URL, refreshed every `every`
/// seconds) where the page is served. It marks that it ran (data-rendered) for the headless tests.
/// </summary>
public static partial class ReportWriter
{
    private const string LivePanel = """
        <div class="live-panel">Live view: load the output of <code>reconcile status PLAN -o json</code>
        <input type="file" id="live-file" accept=".json,application/json"> or open this page as <code>report.html?live=status.json&amp;every=30</code>
        where it is served. <span id="live-summary"></span></div>

        """;

    private const string ZoomBar = """
        <div class="zoom">Zoom: <button type="button" data-zoom="fit">fit</button> <button type="button" data-zoom="out">−</button>
        <button type="button" data-zoom="in">+</button> <span id="zoom-level"></span> (Ctrl+wheel over a timeline)</div>

        """;

    private const string Css = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2430; }
        h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; } .note { color: #4a5566; margin: 0 0 6px; }
        .facts { color: #4a5566; margin: 0 0 12px; } .live-panel, .zoom { margin: 0 0 10px; color: #4a5566; } #live-summary { color: #1d2430; font-weight: 600; }
        .legend span { display: inline-block; margin: 0 14px 6px 0; } .legend i { display: inline-block; width: 14px; height: 10px; margin-right: 5px; vertical-align: middle; border: 1px solid #0003; }
        .legend i.allow { background: rgba(60,170,90,0.18); } .legend i.deny { background: repeating-linear-gradient(45deg, rgba(200,40,40,0.55) 0 2px, rgba(200,40,40,0.08) 2px 6px); }
        .chart { overflow-x: auto; border: 1px solid #d7dce3; border-radius: 4px; background: #fff; }
        svg text { font-size: 11px; fill: #333; } .lane-title { font-weight: 600; } .lane-subtitle { fill: #5b6675; } svg text.vm { fill: #4a5566; }
        svg text.bar-label { font-size: 10px; fill: #fff; pointer-events: none; } svg .hidden { display: none; }
        .lane-bg { fill: #f6f8fa; } .allow { fill: rgba(60,170,90,0.18); }
        .axis line { stroke: #d7dce3; } .axis text { fill: #5b6675; } .break { fill: #fff; stroke: #aab3bf; stroke-dasharray: 2 3; }
        .step { stroke: #0006; stroke-width: 0.5; } .step:hover { stroke: #000; stroke-width: 1.5; }
        .step.snapshot { stroke: #000; stroke-width: 1; fill-opacity: 0.35; } .step.replicate-storage { stroke-dasharray: 3 2; fill-opacity: 0.6; } .step.verify { fill-opacity: 0.45; stroke-dasharray: 1 1; }
        .step[data-live="done"] { fill-opacity: 0.3; } .step[data-live="underway"] { stroke: #1f6feb; stroke-width: 1.5; } .step[data-live="failed"] { stroke: #d1242f; stroke-width: 2.5; }
        line.now { stroke: #d1242f; stroke-width: 1.5; stroke-dasharray: 4 2; }
        table { border-collapse: collapse; } th, td { border: 1px solid #d7dce3; padding: 3px 8px; text-align: left; font-size: 13px; } td.num { text-align: right; }
        th { background: #f0f3f6; } tr.error td { background: #fdecec; } tr.warning td { background: #fff7e0; } .live { display: none; } body.live .live { display: table-cell; }
        #tip { position: fixed; display: none; pointer-events: none; white-space: pre; background: #1d2430; color: #fff; font-size: 12px; padding: 6px 8px; border-radius: 4px; max-width: 520px; }

        """;

    private const string Script = """
        (function () {
          var LW = 200, CW = 1000, zoom = 1;
          var tip = document.getElementById('tip');
          var charts = Array.prototype.slice.call(document.querySelectorAll('svg.gantt'));
          var plan = document.body.getAttribute('data-plan'), zone = document.body.getAttribute('data-zone');
          var clock = new Intl.DateTimeFormat('sv-SE', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
          function local(iso) { return iso ? clock.format(new Date(iso)).replace(',', '') : ''; }
          function span(seconds) { var s = Math.abs(seconds), h = Math.floor(s / 3600), m = Math.round((s % 3600) / 60); return (h ? h + 'h' : '') + m + 'm'; }
          function lag(seconds) { return seconds > 0 ? 'behind by ' + span(seconds) : 'ahead by ' + span(seconds); }

          function collect(svg) {
            svg._scale = JSON.parse(svg.getAttribute('data-scale'));
            svg._height = +svg.getAttribute('height');
            svg._items = [];
            svg.querySelectorAll('rect.step, rect.allow, rect.deny, rect.break, rect.lane-bg').forEach(function (el) {
              svg._items.push({ el: el, x: +el.getAttribute('x'), w: +el.getAttribute('width'), fixed: el.classList.contains('break'), bg: el.classList.contains('lane-bg') });
            });
            svg.querySelectorAll('.axis line').forEach(function (el) { svg._items.push({ el: el, x: +el.getAttribute('x1'), line: true }); });
            svg._labels = [];
            svg.querySelectorAll('text.bar-label').forEach(function (el) {
              svg._labels.push({ el: el, x: +el.getAttribute('x'), bar: +el.previousElementSibling.getAttribute('width'), need: el.textContent.length * 6 + 6 });
            });
            svg._ticks = [];
            svg.querySelectorAll('text.tick').forEach(function (el) { svg._ticks.push({ el: el, x: +el.getAttribute('x') }); });
          }

          // The load chart's bars carry no hover text of their own: the hop chart's bar of the same step has it.
          var tips = null;
          function tipOf(step) {
            if (!tips) {
              tips = {};
              document.querySelectorAll('#gantt rect.step[data-tip]').forEach(function (bar) { tips[bar.getAttribute('data-step')] = bar.getAttribute('data-tip'); });
            }
            return tips[step];
          }

          function place(x) { return LW + (x - LW) * zoom; }

          function apply(k) {
            zoom = Math.max(0.05, Math.min(k, 200));
            charts.forEach(function (svg) {
              var width = LW + CW * zoom + 10;
              svg.setAttribute('width', width);
              svg.setAttribute('viewBox', '0 0 ' + width + ' ' + svg._height);
              svg._items.forEach(function (it) {
                if (it.line) { it.el.setAttribute('x1', place(it.x)); it.el.setAttribute('x2', place(it.x)); return; }
                if (it.bg) { it.el.setAttribute('width', it.w * zoom); return; }
                it.el.setAttribute('x', place(it.x));
                if (!it.fixed) { it.el.setAttribute('width', Math.max(it.w * zoom, it.el.classList.contains('step') ? 1.5 : 0)); }
              });
              svg._labels.forEach(function (l) { l.el.setAttribute('x', place(l.x)); l.el.classList.toggle('hidden', l.bar * zoom < l.need); });
              var last = -Infinity;
              svg._ticks.forEach(function (t) {
                var x = place(t.x), shown = x - last >= 75 && x <= width - 80;
                t.el.setAttribute('x', x); t.el.classList.toggle('hidden', !shown);
                if (shown) { last = x; }
              });
            });
            document.getElementById('zoom-level').textContent = Math.round(zoom * 100) + '%';
          }

          function fit() { var room = charts.length ? charts[0].parentNode.clientWidth : CW + LW; apply((room - LW - 20) / CW); }

          charts.forEach(function (svg) {
            collect(svg);
            svg.addEventListener('mousemove', function (event) {
              var target = event.target.closest('[data-tip], [data-step]');
              var text = target && (target.getAttribute('data-tip') || tipOf(target.getAttribute('data-step')));
              if (!text) { tip.style.display = 'none'; return; }
              tip.textContent = text;
              tip.style.left = (event.clientX + 14) + 'px';
              tip.style.top = (event.clientY + 14) + 'px';
              tip.style.display = 'block';
            });
            svg.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
            svg.addEventListener('wheel', function (event) {
              if (!event.ctrlKey) { return; }
              event.preventDefault();
              apply(zoom * (event.deltaY < 0 ? 1.25 : 0.8));
            }, { passive: false });
          });
          document.querySelectorAll('[data-zoom]').forEach(function (button) {
            button.addEventListener('click', function () {
              var how = button.getAttribute('data-zoom');
              if (how === 'fit') { fit(); } else { apply(zoom * (how === 'in' ? 1.5 : 1 / 1.5)); }
            });
          });

          function xAt(svg, seconds) {
            var s = svg._scale, seg = s.segments[0];
            s.segments.forEach(function (candidate) { if (candidate[0] <= seconds) { seg = candidate; } });
            return seg[2] + Math.max(0, Math.min(seconds - seg[0], seg[1] - seg[0])) * s.pps;
          }

          function show(doc) {
            var summary = document.getElementById('live-summary');
            var run = (doc.runs || []).filter(function (r) { return r.plan === plan; })[0];
            if (!run) {
              summary.textContent = 'The status has no run of plan ' + plan + ' (' + (doc.runs || []).length + ' runs).';
              document.body.setAttribute('data-live', 'no-run');
              return;
            }

            document.body.classList.add('live');
            summary.textContent = 'Status at ' + local(doc.time) + ': ' + run.steps.done + ' of ' + run.steps.total + ' steps done, ' + run.steps.running + ' running, ' +
              run.steps.failed + ' failed' + (run.currentStage ? '; stage ' + run.currentStage : '') + (run.eta ? '; ETA ' + local(run.eta) : '') +
              (run.behindSeconds != null ? '; ' + lag(run.behindSeconds) : '') + (run.stalled === 'True' ? '; stalled' : '') + (run.suspended === 'True' ? '; suspended' : '');
            var stages = {};
            (run.stages || []).forEach(function (s) {
              stages[s.name] = s;
              var row = document.querySelector('tr[data-stage="' + CSS.escape(s.name) + '"]');
              if (!row) { return; }
              var cells = row.querySelectorAll('td.live');
              cells[0].textContent = s.done + ' / ' + s.steps + (s.failed ? ' (' + s.failed + ' failed)' : '');
              cells[1].textContent = local(s.actualStart);
              cells[2].textContent = local(s.actualEnd);
              cells[3].textContent = s.behindSeconds == null ? '' : lag(s.behindSeconds);
            });
            var failed = {};
            (run.problems || []).forEach(function (p) { failed[p.step] = p.message; });
            document.querySelectorAll('rect.step').forEach(function (bar) {
              var stage = stages[bar.getAttribute('data-stage')], id = bar.getAttribute('data-step');
              bar.setAttribute('data-live', failed[id] !== undefined ? 'failed' : !stage ? 'unknown' : stage.done === stage.steps ? 'done' : stage.running > 0 || stage.done > 0 ? 'underway' : 'waiting');
            });
            var seconds = Date.parse(doc.time) / 1000;
            charts.forEach(function (svg) {
              var old = svg.querySelector('line.now');
              if (old) { svg._items = svg._items.filter(function (it) { return it.el !== old; }); old.remove(); }
              var line = document.createElementNS(svg.namespaceURI, 'line'), x = xAt(svg, seconds);
              line.setAttribute('class', 'now');
              line.setAttribute('y1', 0);
              line.setAttribute('y2', svg._height);
              line.setAttribute('data-tip', 'now: ' + local(doc.time));
              svg.appendChild(line);
              svg._items.push({ el: line, x: x, line: true });
            });
            apply(zoom);
            document.body.setAttribute('data-live', run.steps.done + '/' + run.steps.total);
          }

          function fail(message) {
            document.getElementById('live-summary').textContent = message;
            document.body.setAttribute('data-live', 'error');
          }

          document.getElementById('live-file').addEventListener('change', function (event) {
            var file = event.target.files[0];
            if (!file) { return; }
            var reader = new FileReader();
            reader.onload = function () { try { show(JSON.parse(reader.result)); } catch (e) { fail('Not a status document: ' + e.message); } };
            reader.readAsText(file);
          });

          var query = new URLSearchParams(location.search), source = query.get('live');
          if (source) {
            if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(source)) {
              fail('?live takes a path relative to this page, not ' + source);
            } else {
              var poll = function () {
                fetch(source, { cache: 'no-store' }).then(function (r) { return r.json(); }).then(show).catch(function (e) { fail('Cannot read ' + source + ': ' + e.message); });
              };
              poll();
              var every = +query.get('every');
              if (every > 0) { setInterval(poll, every * 1000); }
            }
          }

          fit();
          document.body.setAttribute('data-rendered', document.querySelectorAll('#gantt .step').length + ' steps');
        })();

        """;
}
