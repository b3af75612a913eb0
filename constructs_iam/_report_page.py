"""The access report as one self-contained web page (``--format html``).

Header with the source and counts, what changed against a baseline (when given), a filter box,
the diagram (each node links to its section), a table of contents by account and stack, one
section per principal with real tables (trust, grants, denies, passed roles, acknowledgments,
risks), the paths, and who reaches each resource. Inline CSS and script, no network: the page
works from a file, a CI artifact or an air-gapped review machine.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from typing import Any

LONG_LIST = 10
"""Lists longer than this (who reaches a resource, AWS managed actions) are summarised with a
count and open on demand (``<details>``)."""

_CSS = """
:root{--ink:#1d2733;--muted:#5b6775;--line:#d5dbe3;--bg:#f6f8fb;--accent:#2f5fb3;--risk:#b3261e;--ack:#7a5a00}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#fff}
header{padding:20px 32px;border-bottom:1px solid var(--line);background:var(--bg)}
header h1{margin:0 0 4px;font-size:22px}
header .counts span{display:inline-block;margin-right:14px}
main{display:grid;grid-template-columns:300px 1fr;gap:0}
nav{border-right:1px solid var(--line);padding:16px;position:sticky;top:0;align-self:start;max-height:100vh;overflow:auto;font-size:13px}
nav h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:14px 0 6px}
nav ul{list-style:none;margin:0;padding-left:10px}
nav li{margin:2px 0;overflow-wrap:anywhere}
#content{padding:16px 32px;min-width:0}
#filter{width:100%;padding:7px 9px;border:1px solid var(--line);border-radius:6px;font-size:14px}
#filter-count{color:var(--muted);font-size:12px;margin-top:4px}
section.principal{border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:16px 0}
section.principal h3{margin:0 0 6px;font-size:16px;overflow-wrap:anywhere}
.kind{display:inline-block;font-size:11px;padding:1px 6px;border-radius:10px;background:#e8eefb;color:var(--accent);margin-right:6px;vertical-align:middle}
.pattern{display:inline-block;font-size:11px;padding:1px 6px;border-radius:10px;background:#eaf6ec;color:#1e6b30;vertical-align:middle}
.meta{color:var(--muted);font-size:12.5px;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:12.5px}
th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:var(--bg);font-weight:600;white-space:nowrap}
td:first-child{white-space:nowrap}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.flag{display:inline-block;background:#fde8e6;color:var(--risk);border:1px solid #f3b6b0;border-radius:4px;padding:0 5px;margin:1px 3px 1px 0;font-size:12px}
.ok{color:#1e6b30}
.ack{background:#fff7db}
.deny td:first-child{color:var(--risk)}
.added td:first-child{color:var(--risk);font-weight:600}
.removed td:first-child{color:#1e6b30}
.changes{border:2px solid var(--risk);border-radius:8px;padding:8px 16px;margin:16px 0}
.changes.clean{border-color:#9bc9a5}
details summary{cursor:pointer;color:var(--accent)}
.diagram{overflow:auto;border:1px solid var(--line);border-radius:8px;margin:16px 0;max-height:640px}
.diagram a:hover rect{fill:#eef3ff}
.hidden{display:none}
"""

_SCRIPT = """
(function(){
  var box=document.getElementById('filter');
  var sections=Array.prototype.slice.call(document.querySelectorAll('[data-filter]'));
  var links=Array.prototype.slice.call(document.querySelectorAll('nav li[data-target]'));
  var count=document.getElementById('filter-count');
  function apply(){
    var q=box.value.trim().toLowerCase();
    var shown=0;
    sections.forEach(function(s){
      var rows=Array.prototype.slice.call(s.querySelectorAll('tr[data-row]'));
      var head=s.getAttribute('data-filter').toLowerCase();
      var any=!q||head.indexOf(q)>=0;
      rows.forEach(function(r){
        var hit=!q||head.indexOf(q)>=0||r.textContent.toLowerCase().indexOf(q)>=0;
        r.classList.toggle('hidden',!hit);
        if(hit){any=true;}
      });
      s.classList.toggle('hidden',!any);
      if(any&&s.classList.contains('principal')){shown++;}
    });
    links.forEach(function(li){
      var target=document.getElementById(li.getAttribute('data-target'));
      li.classList.toggle('hidden',!!target&&target.classList.contains('hidden'));
    });
    count.textContent=q?(shown+' principals match'):'';
  }
  box.addEventListener('input',apply);
  if(location.hash.indexOf('#filter=')===0){box.value=decodeURIComponent(location.hash.slice(8));apply();}
})();
"""


def anchor(principal_id: str) -> str:
    """The section id of a principal: stable, readable, unique for distinct construct paths."""
    return "p-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", principal_id).strip("-")


def stack_anchor(stack: str) -> str:
    return "s-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", stack).strip("-")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _code(value: Any) -> str:
    return f"<code>{_e(value)}</code>"


def _codes(values: list[Any], limit: int = LONG_LIST) -> str:
    items = [_code(v) for v in values]
    if len(items) <= limit:
        return ", ".join(items)
    return (", ".join(items[:limit]) + f" <details><summary>and {len(items) - limit} more</summary>"
            + ", ".join(items[limit:]) + "</details>")


def _conditions(conditions: dict[str, Any]) -> str:
    if not conditions:
        return ""
    parts = []
    for operator, block in conditions.items():
        for key, value in (block.items() if isinstance(block, dict) else [("", block)]):
            values = value if isinstance(value, list) else [value]
            parts.append(f"{_code(key)} <i>{_e(operator)}</i> " + ", ".join(_code(v) for v in values))
    return "<br>".join(parts)


def _table(headers: list[str], rows: list[list[str]], row_class: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    cls = f' class="{row_class}"' if row_class else ""
    body = "".join(f"<tr data-row{cls}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _principal(p: dict[str, Any], paths: list[dict[str, Any]]) -> str:
    words = [p["id"], p["arn"], p.get("pattern") or "", p["kind"]]
    out = [f'<section class="principal" id="{anchor(p["id"])}" data-filter="{_e(" ".join(words))}">',
           f'<h3><span class="kind">{_e(p["kind"])}</span>{_e(p["id"])} '
           + (f'<span class="pattern">{_e(p["pattern"])}</span>' if p.get("pattern") else "") + "</h3>",
           f'<div class="meta">ARN {_code(p["arn"])} · stack {_code(p["stack"])} · account {_code(p["account"])}</div>']
    if p["kind"] == "group":
        members = [f'<a href="#{anchor(m)}">{_e(m)}</a>' for m in p.get("members", [])]
        out.append(_table(["members", "policies"], [[", ".join(members) or "none",
                                                      ", ".join(_code(x) for x in p.get("policies", [])) or "none"]]))
        out.append("</section>")
        return "".join(out)
    risks = {k: v for k, v in (p.get("risks") or {}).items() if v}
    if risks:
        out.append("<p><b>Risks</b> (cloudsplaining): " + " ".join(
            f'<span class="flag" title="{_e(", ".join(v))}">{_e(k.replace("_", " "))}: {len(v)}</span>'
            for k, v in sorted(risks.items())) + "</p>")
    else:
        out.append('<p class="ok">No risk flags (cloudsplaining).</p>')
    if p.get("trusted_by"):
        out.append("<h4>Who can assume it</h4>")
        out.append(_table(["type", "principal", "actions", "conditions", "statement"], [
            [_e(t["type"]), _code(t["principal"]), _codes(t["actions"]), _conditions(t["conditions"]), _code(t["statement"])]
            for t in p["trusted_by"]]))
    managed: dict[str, list[str]] = defaultdict(list)
    own = []
    for a in p.get("allows", []):
        if a.get("aws_managed"):
            managed[a["statement"].split("#", 1)[0]] += a["actions"]
        else:
            own.append(a)
    if own or managed:
        out.append("<h4>What it can do</h4>")
    if own:
        out.append(_table(["service", "access", "actions", "resources", "conditions", "statement"], [
            [_code(a["service"]), _e(", ".join(a["access_levels"])),
             ("<b>not</b> " if a.get("not") else "") + _codes(a["actions"]), _codes(a["resources"]),
             _conditions(a["conditions"]), _code(a["statement"]) + (f' <span class="flag">{_e(a["problem"])}</span>' if a.get("problem") else "")]
            for a in own]))
    for name, actions in sorted(managed.items()):
        out.append(f"<p>AWS managed policy {_code(name)}: {len(actions)} action patterns "
                   f"<details><summary>show them</summary>{', '.join(_code(x) for x in actions)}</details></p>")
    if p.get("denies"):
        denied = sum(len(d["actions"]) for d in p["denies"])
        rows = [[_code(d["service"]), ("<b>not</b> " if d.get("not") else "") + _codes(d["actions"]),
                 _codes(d["resources"]), _conditions(d["conditions"]), _code(d["statement"])] for d in p["denies"]]
        table = _table(["service", "actions", "resources", "conditions", "statement"], rows, "deny")
        out.append(f"<h4>Denied ({denied} action patterns)</h4>"
                   + (table if len(rows) <= LONG_LIST else f"<details><summary>{len(rows)} deny entries</summary>{table}</details>"))
    if p.get("passes_roles"):
        out.append("<h4>Roles it may pass</h4>")
        out.append(_table(["roles", "to services", "statement"], [
            [_codes(x["role"]), _codes(x["to_services"]), _code(x["statement"])] for x in p["passes_roles"]]))
    if p.get("acknowledgments"):
        out.append(f"<h4>Acknowledged findings ({len(p['acknowledgments'])})</h4>")
        out.append(_table(["finding", "at", "reason"], [
            [_code(a["id"]), _code(a["at"]), _e(a["reason"])] for a in p["acknowledgments"]], "ack"))
    mine = [x for x in paths if x["from"] == p["id"]]
    if mine:
        out.append("<h4>Paths from here</h4>")
        out.append(_table(["steps", "reaches"], [[_steps(x), _codes(x["reaches"], 5)] for x in mine]))
    out.append("</section>")
    return "".join(out)


def _steps(path: dict[str, Any]) -> str:
    parts = []
    for step in path["steps"]:
        verb, _, target = step.rpartition(" ")
        parts.append(f'{_e(verb)} <a href="#{anchor(target)}">{_e(target)}</a>')
    return ", then ".join(parts)


def _changes(diff: dict[str, Any]) -> str:
    added, removed, accepted = diff["added"], diff["removed"], diff.get("accepted", set())
    new = [a for a in added if (a[0], a[1], a[2]) not in accepted]
    cls = "changes" if new else "changes clean"
    out = [f'<section class="{cls}" id="changes" data-filter="changes"><h2>Changes against {_code(diff["baseline"])}</h2>',
           f"<p><b>{len(new)}</b> newly allowed and not accepted, {len(added) - len(new)} accepted, "
           f"<b>{len(removed)}</b> removed.</p>"]
    def rows(items: list[tuple[Any, ...]]) -> list[list[str]]:
        return [[_e("accepted" if (p, a, r) in accepted else "new"), f'<a href="#{anchor(p)}">{_e(p)}</a>', _code(a), _code(r),
                 _e("" if c == "{}" else c), _code(s)] for p, a, r, c, s in items]
    if added:
        out.append("<h3>Newly allowed</h3>" + _table(["", "principal", "action", "resource", "conditions", "statement"],
                                                      rows(added), "added"))
    if removed:
        out.append("<h3>Removed</h3>" + _table(["", "principal", "action", "resource", "conditions", "statement"],
                                                rows(removed), "removed"))
    for note in diff.get("notes", []):
        out.append(f"<p>{_e(note)}</p>")
    out.append("</section>")
    return "".join(out)


def render(data: dict[str, Any], svg: str, diff: dict[str, Any] | None = None) -> str:
    """The page. ``svg`` is the diagram (``report.to_svg``); ``diff`` (``added``, ``removed``,
    ``accepted``, ``baseline``) puts what changed at the top."""
    principals = data["principals"]
    kinds: dict[str, int] = defaultdict(int)
    for p in principals:
        kinds[p["kind"]] += 1
    accounts: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for p in principals:
        accounts[str(p["account"])][p["stack"]].append(p)
    flagged = sum(1 for p in principals if any((p.get("risks") or {}).values()))
    acknowledged = sum(len(p.get("acknowledgments", [])) for p in principals)
    nav = ['<nav aria-label="contents"><input id="filter" type="search" placeholder="Filter principals, actions, resources" '
           'aria-label="filter"><div id="filter-count"></div>']
    if diff is not None:
        nav.append('<h2><a href="#changes">Changes</a></h2>')
    nav.append('<h2><a href="#diagram">Diagram</a></h2>')
    for account in sorted(accounts):
        nav.append(f"<h2>Account {_e(account)}</h2><ul>")
        for stack in sorted(accounts[account]):
            members = accounts[account][stack]
            items = "".join(f'<li data-target="{anchor(p["id"])}"><a href="#{anchor(p["id"])}">'
                            f'{_e(p["id"].removeprefix(stack + "/"))}</a></li>' for p in members)
            head = f'<a href="#{stack_anchor(stack)}"><b>{_e(stack)}</b></a> ({len(members)})'
            if len(members) > 2 * LONG_LIST:  # a shard of hundreds of workloads: listed on demand
                nav.append(f"<li>{head}<details><summary>principals</summary><ul>{items}</ul></details></li>")
            else:
                nav.append(f"<li>{head}<ul>{items}</ul></li>")
        nav.append("</ul>")
    nav.append('<h2><a href="#paths">Paths</a></h2><h2><a href="#resources">Who reaches each resource</a></h2></nav>')
    body = ['<div id="content">']
    if diff is not None:
        body.append(_changes(diff))
    body.append('<h2 id="diagram">Diagram</h2><p class="meta">Accounts as columns; solid arrows assume a role, '
                'dashed arrows pass a role to a service. Select a box to open its section.</p>'
                f'<div class="diagram">{svg}</div>')
    for account in sorted(accounts):
        for stack in sorted(accounts[account]):
            body.append(f'<h2 id="{stack_anchor(stack)}">{_e(stack)} <span class="meta">account {_e(account)}</span></h2>')
            body += [_principal(p, data["paths"]) for p in accounts[account][stack]]
    body.append('<h2 id="paths">Paths</h2>')
    path_rows = [[f'<a href="#{anchor(x["from"])}">{_e(x["from"])}</a>', _steps(x), _codes(x["reaches"], 5)]
                 for x in data["paths"]]
    body.append(f'<section data-filter="paths">{_table(["from", "steps", "reaches"], path_rows)}</section>')
    body.append('<h2 id="resources">Who reaches each resource</h2>')
    rows = []
    for resource, who in data["resources"].items():
        links = [f'<a href="#{anchor(w.split(" (via", 1)[0])}">{_e(w)}</a>' for w in who]
        cell = (", ".join(links) if len(links) <= LONG_LIST
                else f"<details><summary>{len(links)} principals</summary>{', '.join(links)}</details>")
        rows.append([_code(resource), str(len(who)), cell])
    body.append(f'<section data-filter="resources">{_table(["resource", "principals", "who"], rows)}</section>')
    body.append("</div>")
    header = (f"<header><h1>Access report</h1><div class=\"meta\">{_e(data['source'])} · schema {_e(data['schema'])}</div>"
              f"<div class=\"counts\"><span><b>{kinds['role']}</b> roles</span><span><b>{kinds['user']}</b> users</span>"
              f"<span><b>{kinds['group']}</b> groups</span><span><b>{len(accounts)}</b> accounts</span>"
              f"<span><b>{len(data['paths'])}</b> paths</span><span><b>{flagged}</b> principals with risk flags</span>"
              f"<span><b>{acknowledged}</b> acknowledged findings</span></div></header>")
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Access report: {_e(data['source'])}</title><style>{_CSS}</style></head><body>"
            f"{header}<main>{''.join(nav)}{''.join(body)}</main><script>{_SCRIPT}</script></body></html>\n")
