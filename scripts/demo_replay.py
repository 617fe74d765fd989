#!/usr/bin/python3
"""Helpers of scripts/demo.sh: replay a feed archive in event time.

  demo_replay.py stream [--tail-days N] < riskd-feed --dry-run output
      Envelopes (protobuf JSON, one per line) for `riskctl send --file -`:
      the feed's envelopes in event-time order, each day preceded by a
      ClockTick to its last second, from the first event's day until N days
      (default 45) after the last one, so the daemon's model clock
      (clock.mode MODE_MANUAL) walks through the archive day by day.

  demo_replay.py story --publications F --log F --events F
      The timeline of what riskd published while the clock walked: per
      model day, the disasters that hit sites, the incidents they opened
      (with their plans) and how they were restored and closed, the node
      alerts pushed under them and resolved, and the network warning when
      it moved; then the totals: incidents, not floods.

  demo_replay.py pick < riskctl incident list --json
      The id of the open incident with the most value at risk (nothing if
      there is none).
"""
import argparse
import datetime as dt
import json
import re
import sys

DAY = dt.timedelta(days=1)


def parse_time(text):
    return dt.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)


def day_of(text):
    return text[:10]


def read_envelopes(lines):
    out = []
    for line in lines:
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    out.sort(key=lambda e: (e.get("occurredAt", ""), e["eventId"]))
    return out


def stream(args):
    envelopes = read_envelopes(sys.stdin)
    if not envelopes:
        sys.exit("demo_replay: no envelopes on stdin")
    by_day = {}
    for e in envelopes:
        by_day.setdefault(day_of(e["occurredAt"]), []).append(e)
    day = parse_time(envelopes[0]["occurredAt"]).replace(hour=0, minute=0, second=0)
    last = parse_time(envelopes[-1]["occurredAt"]).replace(hour=0, minute=0, second=0)
    last += args.tail_days * DAY
    while day <= last:
        name = day.strftime("%Y-%m-%d")
        tick = {"eventId": "demo-tick-" + name,
                "clockTick": {"advanceTo": name + "T23:59:59Z"}}
        print(json.dumps(tick))
        for e in by_day.get(name, []):
            print(json.dumps(e))
        day += DAY


def story(args):
    events = read_envelopes(open(args.events))
    titles = {e["eventId"]: (day_of(e["occurredAt"]), e["disruption"].get("title", e["eventId"]))
              for e in events if "disruption" in e}
    days = {}  # model day -> {"hits", "incidents", "raised", "resolved": [...], "summary": str}

    def on(day):
        return days.setdefault(day, {"hits": [], "incidents": [], "raised": [], "resolved": [],
                                     "summary": None})

    lifecycles = {}  # incident id -> last lifecycle published
    pushed_total = 0
    peak_at_risk = 0

    # The engine thread logs the sites a place covers, per event.
    pattern = re.compile(r"event \d+ \(([^)]*)\): disruption place covers (\d+) node")
    for line in open(args.log, errors="replace"):
        m = pattern.search(line)
        if m and int(m.group(2)) > 0 and m.group(1) in titles:
            day, title = titles[m.group(1)]
            on(day)["hits"].append("%s: %s site(s) hit" % (title[:80], m.group(2)))
    last_at_risk = None
    for line in open(args.publications):
        line = line.strip()
        if not line.startswith("{"):
            continue
        pub = json.loads(line)["publication"]  # riskctl tail --json: proto field names
        if "incident" in pub:
            inc = pub["incident"]
            iid = inc["incident_id"]
            lifecycle = inc.get("lifecycle", "").replace("LIFECYCLE_", "").lower()
            if lifecycles.get(iid) != lifecycle:
                on(day_of(inc.get("model_time", "?")))["incidents"].append(
                    describe_incident(inc, lifecycle, iid not in lifecycles))
            lifecycles[iid] = lifecycle
        elif "alert" in pub:
            a = pub["alert"]
            lifecycle = a.get("lifecycle", "")
            day = on(day_of(a.get("model_time", "?")))
            if lifecycle == "LIFECYCLE_RAISED":
                day["raised"].append(a)
                pushed_total += 1
            elif lifecycle == "LIFECYCLE_RESOLVED":
                day["resolved"].append(a["node_id"])
        elif "projection_summary" in pub:
            p = pub["projection_summary"]
            if p.get("risk_type") != "supply":
                continue
            day = on(day_of(p.get("model_time", "?")))
            at_risk = p.get("nodes_at_risk", 0)
            peak_at_risk = max(peak_at_risk, at_risk)
            text = "expected disrupted within 30 days %.1f (90%%: %g-%g), %d node(s) at risk" % (
                p.get("expected_disrupted", 0.0), p.get("disrupted_p05", 0.0),
                p.get("disrupted_p95", 0.0), at_risk)
            if at_risk != last_at_risk or day["raised"] or day["resolved"] or day["hits"]:
                day["summary"] = text
            last_at_risk = at_risk

    def describe(a):
        eta = a.get("eta_steps", -1)
        path = a.get("cause_path", [])
        how = "hit" if len(path) <= 1 else ("now" if eta == 0 else "in %d d" % eta if eta > 0 else "")
        return "%s P=%.2f value at risk %.0f %s" % (a["node_id"], a.get("probability", 0.0),
                                                   a.get("value_at_risk", 0.0), how)

    for name in sorted(days):
        d = days[name]
        lines = list(d["hits"]) + d["incidents"]
        if d["raised"]:
            raised = sorted(d["raised"], key=lambda a: -a.get("value_at_risk", 0.0))
            critical = sum(a.get("severity") == "SEVERITY_CRITICAL" for a in raised)
            shown = "; ".join(describe(a) for a in raised[:4])
            more = " (+%d more)" % (len(raised) - 4) if len(raised) > 4 else ""
            lines.append("pushed %d node alert(s) under their incidents, %d critical: %s%s" % (
                len(raised), critical, shown, more))
        if d["resolved"]:
            shown = ", ".join(d["resolved"][:5])
            more = " (+%d more)" % (len(d["resolved"]) - 5) if len(d["resolved"]) > 5 else ""
            lines.append("resolved %d alert(s) one by one, their window passed: %s%s" % (
                len(d["resolved"]), shown, more))
        if d["summary"] and (lines or name == min(days)):
            lines.append(d["summary"])
        if not lines:
            continue
        print(name + "  " + lines[0])
        for text in lines[1:]:
            print(" " * 12 + text)
    print()
    print("Incidents, not floods: %d incident(s) opened, %d node alert(s) pushed in all, "
          "while up to %d node(s) stood at alert level (the rest answered by queries: "
          "riskctl incident show ID)" % (len(lifecycles), pushed_total, peak_at_risk))


def describe_incident(inc, lifecycle, opened):
    iid = inc["incident_id"]
    if not opened and lifecycle in ("restored", "closed"):
        why = {"RESOLUTION_SOURCES_RECOVERED": "its sites recovered",
               "RESOLUTION_OPERATOR_RESTORED": "an operator marked it restored",
               "RESOLUTION_NO_IMPACT": "an operator marked it no-impact"}.get(
                   inc.get("resolution", ""), "")
        text = "INCIDENT %s %s%s" % (iid, lifecycle, " (%s)" % why if why else "")
        if inc.get("alerts_resolved", 0):
            text += ": %d pushed alert(s) resolved with it, no message each" % inc["alerts_resolved"]
        return text
    if not opened:
        return "INCIDENT %s %s" % (iid, lifecycle)
    level = inc.get("level", "SEVERITY_INFO").replace("SEVERITY_", "")
    text = "INCIDENT %s opened, %s, %s: %s: %d site(s) hit, expected disrupted %.1f (90%%: %g-%g), " \
           "value at risk %.0f, %d node(s) at risk, %d alert(s) pushed" % (
               iid, lifecycle, level, inc.get("title", "")[:60], inc.get("sources_hit", 0),
               inc.get("expected_disrupted", 0.0), inc.get("disrupted_p05", 0.0),
               inc.get("disrupted_p95", 0.0), inc.get("value_at_risk", 0.0),
               inc.get("nodes_at_risk", 0), inc.get("alerts_pushed", 0))
    plans = [p.get("plan_id", "") for p in inc.get("plans", [])]
    if plans:
        text += "; plan(s) " + ", ".join(plans)
    return text


def pick(args):
    snapshot = json.load(sys.stdin)
    open_ones = [i for i in snapshot.get("incidents", [])
                 if i.get("lifecycle") in ("LIFECYCLE_POTENTIAL", "LIFECYCLE_CONFIRMED")]
    if open_ones:
        print(max(open_ones, key=lambda i: i.get("value_at_risk", 0.0))["incident_id"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("stream")
    s.add_argument("--tail-days", type=int, default=45)
    t = sub.add_parser("story")
    t.add_argument("--publications", required=True)
    t.add_argument("--log", required=True)
    t.add_argument("--events", required=True)
    sub.add_parser("pick")
    args = parser.parse_args()
    {"stream": stream, "story": story, "pick": pick}[args.command](args)


if __name__ == "__main__":
    main()
