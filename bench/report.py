"""The results table of ``docs/performance.md``, rendered from one run's results.

Only the part between the two markers is rewritten, so the prose around it (how each
figure is measured, the profile, the fixes) is kept from one run to the next.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["BEGIN", "END", "render", "rows"]

BEGIN = "<!-- bench:results:begin (written by `make bench`; edit around it, not inside) -->"
END = "<!-- bench:results:end -->"

Row = tuple[str, str, str, bool | None]  # figure, goal, measured, met (None: not measured)


def _get(results: dict[str, Any], *path: str) -> Any:
    value: Any = results
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _kinds(phase: dict[str, Any]) -> str:
    by_kind = phase.get("table_ops_per_event_by_kind", {})
    return ", ".join(f"{k} {v:g}" for k, v in by_kind.items() if v)


def _counts_rows(r: dict[str, Any]) -> list[Row]:
    c = r.get("counts")
    if not c:
        return []
    change, echo, no_op, new = c["status_change"], c["echo"], c["no_op"], c["new"]
    echo_requests = echo["azure_devops_per_event"] + echo["conviso_per_event"]
    return [
        ("Azure DevOps requests per steady-state status change", "exactly 1",
         f"{change['azure_devops_per_event']:g} ({change['events']} events)",
         change["azure_devops_per_event"] == 1),
        ("… per echo of our own write (Azure DevOps + Conviso)", "0",
         f"{echo_requests:g} ({echo['events']} hook deliveries)", echo_requests == 0),
        ("… per no-op (status already on the card)", "0",
         f"{no_op['azure_devops_per_event']:g} ({no_op['events']} events)",
         no_op["azure_devops_per_event"] == 0),
        ("Azure DevOps requests per new vulnerability", "1",
         f"{new['azure_devops_per_event']:g} ({new['events']} vulnerabilities)",
         new["azure_devops_per_event"] == 1),
        ("Table operations per event, steady state (status change)", "≤ 4",
         f"{change['table_ops_per_event']:g}: {_kinds(change)}",
         change["table_ops_per_event"] <= 4),
        ("… per no-op event", "≤ 4", f"{no_op['table_ops_per_event']:g}: {_kinds(no_op)}",
         no_op["table_ops_per_event"] <= 4),
        ("… per echo hook delivery (two hooks per write, one is a duplicate)", "≤ 4",
         f"{echo['table_ops_per_event']:g}: {_kinds(echo)}", echo["table_ops_per_event"] <= 4),
        ("Table operations per new vulnerability (claim protocol, R1)", "(not steady state)",
         f"{new['table_ops_per_event']:g}: {_kinds(new)}", None),
    ]  # fmt: skip


def _ratio_rows(r: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    if t := r.get("throughput"):
        out.append(("End-to-end throughput ÷ raw writes (same writes, same concurrency)", "≥ 0.5",
                    f"{t['ratio']:g} ({t['e2e_per_s']:g} vs {t['raw_per_s']:g} events/s, "
                    f"{t['events']} events × {t['runs']} runs, concurrency {t['concurrency']})",
                    t["ratio"] >= 0.5))  # fmt: skip
    if t := r.get("latency"):
        out.append(("… the same with a 100 ms Azure DevOps answer (both sides)", "≥ 0.5",
                    f"{t['ratio']:g} ({t['e2e_per_s']:g} vs {t['raw_per_s']:g} events/s, "
                    f"{t['events']} events × {t['runs']} runs)", t["ratio"] >= 0.5))  # fmt: skip
    if a := r.get("acceptance"):
        out.append(("Webhook acceptance ÷ bare 202 from the same host", "≥ 0.5",
                    f"{a['ratio']:g} ({a['webhook_per_s']:g} vs {a['bare_per_s']:g} requests/s, "
                    f"{a['requests']} × {a['runs']} runs, concurrency {a['concurrency']})",
                    a["ratio"] >= 0.5))  # fmt: skip
    if c := r.get("cold_start"):
        calls, built = c["network_calls_at_import"], c.get("context_built_at_import", False)
        out.append(("Cold start: `import function_app` ÷ `import azure.functions`",
                    "≤ 2.0, no network or storage call",
                    f"{c['ratio']:g} ({c['function_app_ms']:g} vs {c['azure_functions_ms']:g} ms, "
                    f"medians of {c['runs']} fresh processes each); socket calls at import and "
                    f"indexing: {len(calls)}; storage clients built: {'yes' if built else 'no'}",
                    c["ratio"] <= 2.0 and not calls and not built))  # fmt: skip
    return out


def _other_rows(r: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    if m := r.get("memory"):
        out.append(("Resident memory growth over the events", "≤ 10 MiB",
                    f"{m['growth_mib']:g} MiB over {m['events']} events after "
                    f"{m['warm_up_events']} of warm-up ({m['azure_devops_writes']} Azure "
                    f"DevOps writes in all; RSS {m['warm_kib'] / 1024:.1f} → "
                    f"{m['end_kib'] / 1024:.1f} MiB)",
                    m["growth_mib"] <= 10))  # fmt: skip
    b = r.get("backfill")
    if b and "pending" in b:
        out.append(("Backfill: Azure DevOps requests per vulnerability; duplicates", "≤ 1.05; 0",
                    f"pending: {b['pending']}", None))  # fmt: skip
    elif b:
        per_card = b.get("requests_per_card", b["requests_per_vulnerability"])
        out.append(("Backfill: Azure DevOps requests per vulnerability; duplicates",
                    "≤ 1.05; 0",
                    f"{per_card:g} per card ({b['requests_per_vulnerability']:g} per "
                    f"vulnerability of the company); {b['duplicates']} duplicates "
                    f"({b['size']} vulnerabilities, {b['cards']} cards, {b['missing']} missing, "
                    f"{b['throttled_answers']} answers 429 on purpose, "
                    f"{b['second_run_writes']} writes on a second run, {b['seconds']:g} s)",
                    per_card <= 1.05 and b["duplicates"] == 0 and b["missing"] == 0))  # fmt: skip
    return out


def rows(results: dict[str, Any]) -> list[Row]:
    builders: list[Callable[[dict[str, Any]], list[Row]]] = [
        _counts_rows, _ratio_rows, _other_rows,
    ]  # fmt: skip
    return [row for build in builders for row in build(results)]


def _table(results: dict[str, Any], stamp: str) -> str:
    mark = {True: "met", False: "**not met**", None: "—"}
    lines = [
        BEGIN,
        f"Run `{stamp}` (raw results: `bench/results/{stamp}.json`), "
        f"{results.get('seconds', '?')} s in all.",
    ]
    if parts := results.get("parts"):
        lines.append("Run in parts, one after another: " + "; ".join(
            f"`{p['file']}` ({', '.join(p['benchmarks'])})" for p in parts) + ".")  # fmt: skip
    lines += [
        "",
        "| figure | goal | measured | met? |",
        "|---|---|---|---|",
    ]
    lines += [f"| {f} | {g} | {m} | {mark[ok]} |" for f, g, m, ok in rows(results)]
    if profile := results.get("profile"):
        lines += ["", f"Hot path profile: {profile['ms_per_event']:g} ms per status change "
                  f"(single thread, profiler on, {profile['events']} events). "
                  "Time by outermost adapter call:", ""]  # fmt: skip
        lines += [f"- `{c['call']}`: {c['share']:.1%}" for c in profile.get("by_call", [])
                  if c["share"] >= 0.005]  # fmt: skip
        lines += ["", "Top self time:", ""]
        lines += [f"- `{t['frame']}`: {t['share']:.1%}" for t in profile["top"][:8]]
    if t := results.get("transport"):
        lines += ["", f"Storage transport (fix 1): client CPU per Table insert "
                  f"{t['sdk_default_cpu_ms']:g} ms with the SDK reading the environment per "
                  f"request, {t['read_once_cpu_ms']:g} ms with it read once "
                  f"({t['saved_share']:.0%} less; medians of {t['runs']} × "
                  f"{t['operations']} inserts)."]  # fmt: skip
    lines.append(END)
    return "\n".join(lines)


def render(results: dict[str, Any], *, stamp: str, template: Path) -> str:
    """The document with its results section replaced (or appended, the first time)."""
    table = _table(results, stamp)
    text = template.read_text() if template.exists() else "# Performance\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + table + rest.split(END, 1)[1]
    return text.rstrip("\n") + "\n\n" + table + "\n"
