/** A dependency-free page that polls /fleet.json every second and renders the fleet. */
export const FLEET_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tasklane fleet</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#1d2330;background:#f6f7f9}
h1{font-size:20px;margin:0 0 4px} h2{font-size:15px;margin:24px 0 8px}
table{border-collapse:collapse;background:#fff;min-width:480px}
th,td{border:1px solid #d9dde3;padding:4px 10px;text-align:left} th{background:#eceff3}
.muted{color:#6b7280}.bad{color:#b42318}.ok{color:#067647}
</style></head><body>
<h1>Tasklane fleet</h1><div class="muted" id="meta">loading…</div>
<h2>Worker groups</h2><table id="groups"><thead><tr><th>group</th><th>lease holder</th><th>epoch</th><th>held for</th><th>waiters</th><th>running / polling / free</th></tr></thead><tbody></tbody></table>
<h2>Instances</h2><table id="instances"><thead><tr><th>instance</th><th>host</th><th>runtime</th><th>state</th><th>running / polling / slots</th></tr></thead><tbody></tbody></table>
<h2>In-flight tasks</h2><table id="tasks"><thead><tr><th>attempt</th><th>group</th><th>activity</th><th>instance</th><th>elapsed</th></tr></thead><tbody></tbody></table>
<h2>Recent failures</h2><table id="failures"><thead><tr><th>when</th><th>group</th><th>activity</th><th>errorId</th><th>message</th></tr></thead><tbody></tbody></table>
<script>
// Every value comes from Redis or a task, i.e. from someone else: it only ever enters the page as a text
// node (textContent), never as markup, so no field can inject script.
const secs = (ms) => (Number(ms) / 1000).toFixed(1) + ' s';
const text = (v) => (v === undefined || v === null ? '' : String(v));
function cell(value) {
  const td = document.createElement('td');
  if (value && typeof value === 'object') {
    const span = document.createElement('span');
    if (value.cls) span.className = value.cls;
    if (value.holder !== undefined) span.dataset.holder = text(value.holder);
    span.textContent = text(value.text);
    td.appendChild(span);
  } else td.textContent = text(value);
  return td;
}
function fill(id, rows, empty) {
  const body = document.querySelector('#' + id + ' tbody');
  const next = rows.map((r) => { const tr = document.createElement('tr'); r.forEach((c) => tr.appendChild(cell(c))); return tr; });
  if (next.length === 0) { const tr = document.createElement('tr'); const td = cell(empty); td.className = 'muted'; td.colSpan = 6; tr.appendChild(td); next.push(tr); }
  body.replaceChildren(...next);
}
async function refresh() {
  try {
    const f = await (await fetch('fleet.json', { cache: 'no-store' })).json();
    const now = Number(f.generatedAt);
    const ids = Object.fromEntries(f.instances.map((i) => [i.instanceId, i.hostname]));
    // A slot reserved for the fleet's poll is "polling", not running: an idle fleet shows 0 running.
    const slotsOf = (group, k) => f.instances.reduce((a, i) => a + (Number(((i.groups || {})[group] || {})[k]) || 0), 0);
    document.getElementById('meta').textContent = 'coordinator: ' + text(f.coordinator) + ' · ' + f.instances.length + ' instance(s) · updated ' + new Date(now).toLocaleTimeString();
    fill('groups', f.groups.map((g) => [g.group, g.holder ? { cls: 'ok', holder: g.holder.instanceId, text: ids[g.holder.instanceId] || g.holder.instanceId } : { cls: 'muted', text: 'none' }, g.holder ? g.holder.epoch : '', g.holder ? secs(now - g.holder.since) : '', g.waiters, slotsOf(g.group, 'running') + ' / ' + slotsOf(g.group, 'polling') + ' / ' + slotsOf(g.group, 'free')]), 'no groups');
    fill('instances', f.instances.map((i) => { const gs = Object.values(i.groups || {}); const sum = (k) => gs.reduce((a, g) => a + (Number(g[k]) || 0), 0); return [i.instanceId, i.hostname, i.runtime, i.state, sum('running') + ' / ' + sum('polling') + ' / ' + sum('slots')]; }), 'no instances');
    fill('tasks', f.instances.flatMap((i) => (i.inFlight || []).map((t) => [t.attemptId, t.group, t.activityType, i.hostname, secs(now - t.startedAt)])), 'idle');
    fill('failures', f.failures.map((x) => [new Date(x.at).toLocaleTimeString(), x.group, x.activityType, { cls: 'bad', text: x.errorId }, x.errorMessage]), 'none');
  } catch (e) { document.getElementById('meta').textContent = 'fleet.json unavailable: ' + e; }
}
refresh(); setInterval(refresh, 1000);
</script></body></html>`;
