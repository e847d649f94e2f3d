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
    out += _issue20_rows(r)
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


def _issue20_rows(r: dict[str, Any]) -> list[Row]:
    """Issue 20's goals: latency without events, idle cost, storage, the limited backfill."""
    out: list[Row] = []
    if p := r.get("poll_latency"):
        p95 = p.get("p95_seconds")
        out.append(("Conviso change, no event sent → its card (poll timer), p95", "≤ 60 s",
                    f"{p95} s (p50 {p['p50_seconds']} s, max {p['max_seconds']} s; "
                    f"{p['reached']} of {p['changes']} changes, schedule `{p['schedule']}`, "
                    f"spread over {p['spread_seconds']:g} s)",
                    p95 is not None and p95 <= 60 and p["reached"] == p["changes"]))  # fmt: skip
    if i := r.get("idle"):
        polls, hooks = i["polls"], i["hooks"]
        out.append(
            (
                "Quiet poll: Conviso; Azure DevOps requests per integration",
                "1; 0",
                f"{polls['conviso_per_poll']:g}; {polls['azure_devops_per_poll']:g} "
                f"({polls['polls']} polls)",
                polls["conviso_per_poll"] == 1 and polls["azure_devops_per_poll"] == 0,
            )
        )
        zero = (hooks["table_writes_per_hook"], hooks["queue_messages_per_hook"],
                hooks["delivery_rows_per_hook"])  # fmt: skip
        out.append(("Unrelated hook: Table writes; queue messages; delivery rows", "0; 0; 0",
                    "; ".join(f"{v:g}" for v in zero) + f" ({hooks['hooks']} hooks)",
                    zero == (0, 0, 0)))  # fmt: skip
    if s := r.get("storage"):
        out.append(
            (
                "Event-id rows after a purge, over the events (retention window)",
                f"≤ {s['bound']} (the window's events)",
                f"{s['highest_rows_after_a_purge']} at most ({s['events']} events over "
                f"{s['simulated_days']} simulated days, {s['retention_days']}-day retention, "
                f"{s['purged']} purged)",
                s["highest_rows_after_a_purge"] <= s["bound"],
            )
        )
    b = r.get("backfill") or {}
    if lim := b.get("limit"):
        ok = (lim["ratio"] is not None and lim["ratio"] <= 1.15
              and lim["refused_per_1000"] <= 1 and b["duplicates"] == 0
              and lim["progress_notes_during_run"] > 0)  # fmt: skip
        out.append(("Backfill against the rate-limited emulator: wall time ÷ the limit's "
                    "time; refused per 1,000; duplicates; progress during the run",
                    "≤ 1.15; ≤ 1; 0; visible",
                    f"{lim['ratio']} ({b['seconds']:g} s vs {lim['limit_seconds']:g} s for "
                    f"{lim['charged_tstu']:g} TSTUs at {lim['budget_tstu']:g} per "
                    f"{lim['window_seconds']:g} s, ×{lim['compression']:g} compressed); "
                    f"{lim['refused_per_1000']:g}; {b['duplicates']}; "
                    f"{lim['progress_notes_during_run']} progress notes "
                    f"({b['size']} vulnerabilities, {b['cards']} cards, {lim['delayed']} "
                    f"requests held)", ok))  # fmt: skip
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
