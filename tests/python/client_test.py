#!/usr/bin/python3
"""Foreign-client end-to-end test: a Python program, using classes generated
by protoc from proto/riskd/v1, drives the real riskd binary over ZeroMQ.

It also recomputes the expected alert probability independently, with a
plain-Python implementation of the documented model (docs/model.md): uniform
vulnerability (sigma = rho = 1), w~_ij = w_ij / sum_y w_yj,
p_ij = 1 - exp(-alpha w~_ij), q = beta, and the DMP equations of
Lokhov et al. (2015), so the daemon's number is checked against a second
implementation in another language.
"""
import argparse
import csv
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import zmq

ALPHA, BETA, HORIZON = 0.8, 0.3, 30


def load_network(source_dir):
    demo = os.path.join(source_dir, "config", "demo")
    with open(os.path.join(demo, "nodes.csv"), newline="") as f:
        nodes = [row["id"] for row in csv.DictReader(f)]
    edges = []
    with open(os.path.join(demo, "edges.csv"), newline="") as f:
        for row in csv.DictReader(f):
            if row["layer"] in ("", "material"):
                edges.append((row["from"], row["to"], float(row["weight"])))
    return nodes, edges


def dmp_risk(nodes, edges, sources):
    """1 - P_S(T) per node: discrete-time SIR DMP on the downstream graph."""
    into = {v: [] for v in nodes}  # j -> [(i, w)]
    for i, j, w in edges:
        into[j].append((i, w))
    p = {}
    for j, ins in into.items():
        total = sum(w for _, w in ins)
        for i, w in ins:
            p[(i, j)] = 1 - math.exp(-ALPHA * w / total)
    q = {v: min(1.0, BETA) for v in nodes}
    ps0 = {v: 0.0 if v in sources else 1.0 for v in nodes}
    pi0 = {v: 1.0 if v in sources else 0.0 for v in nodes}
    theta = {e: 1.0 for e in p}
    phi = {(i, j): pi0[i] for (i, j) in p}
    edges_set = set(p)

    def cavity(k, i):  # P_S^{k->i}: k's in-messages except from i
        prod = ps0[k]
        for l, _ in into[k]:
            if l != i or (i, k) not in edges_set:
                prod *= theta[(l, k)]
        return prod

    ps_cav = {(k, i): cavity(k, i) for (k, i) in p}
    for _ in range(HORIZON):
        for e in p:
            theta[e] -= p[e] * phi[e]
        new_cav = {(k, i): cavity(k, i) for (k, i) in p}
        for (k, i) in p:
            phi[(k, i)] = (1 - p[(k, i)]) * (1 - q[k]) * phi[(k, i)] - (new_cav[(k, i)] - ps_cav[(k, i)])
        ps_cav = new_cav
    risk = {}
    for v in nodes:
        prod = ps0[v]
        for i, _ in into[v]:
            prod *= theta[(i, v)]
        risk[v] = 1 - prod
    return risk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--riskd", required=True)
    ap.add_argument("--proto-path", required=True)
    ap.add_argument("--source-dir", required=True)
    args = ap.parse_args()
    sys.path.insert(0, args.proto_path)
    from riskd.v1 import common_pb2, envelope_pb2, outputs_pb2

    tmp = tempfile.mkdtemp(prefix="rkdpy")
    ingest = "ipc://" + os.path.join(tmp, "in.sock")
    publish = "ipc://" + os.path.join(tmp, "pub.sock")
    demo = os.path.join(args.source_dir, "config", "demo")
    config = os.path.join(tmp, "riskd.conf")
    with open(config, "w") as f:
        f.write(f'state_dir: "{tmp}/state"\n'
                f'endpoints {{ ingest: "{ingest}" publish: "{publish}" }}\n'
                f'network {{ csv {{ nodes: "{demo}/nodes.csv" edges: "{demo}/edges.csv" }} }}\n'
                f'risk_types {{ name: "supply" alpha: {ALPHA} beta: {BETA} }}\n'
                f'projection {{ horizon_steps: {HORIZON} tolerance: 0 method: METHOD_DMP }}\n'
                'vulnerability { mode: MODE_UNIFORM }\n')
    log = open(os.path.join(tmp, "riskd.log"), "w")
    proc = subprocess.Popen([args.riskd, "--config", config], stdout=log, stderr=subprocess.STDOUT)
    ctx = zmq.Context()
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    try:
        def request(payload, timeout_ms=10000):
            sock = ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(ingest)
            sock.send(payload)
            if not sock.poll(timeout_ms):
                sock.close()
                return None
            ack = envelope_pb2.Ack()
            ack.ParseFromString(sock.recv())
            sock.close()
            return ack

        ping = envelope_pb2.Envelope(event_id="py-ping")
        ping.query.projection.SetInParent()
        deadline = time.time() + 60
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("riskd exited during start-up")
            if os.path.exists(os.path.join(tmp, "in.sock")) and request(ping.SerializeToString(), 500):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("riskd did not become ready")

        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"alert.")
        sub.connect(publish)
        time.sleep(0.3)

        env = envelope_pb2.Envelope(event_id="py-quake-1", source="python")
        env.disruption.hazard = common_pb2.HAZARD_EARTHQUAKE
        env.disruption.severity = 1.0
        env.disruption.node_ids.append("FAB-KUM")
        ack = request(env.SerializeToString())
        check(ack is not None and ack.result == envelope_pb2.Ack.RESULT_ACCEPTED,
              "disruption accepted over ZeroMQ from Python")
        again = request(env.SerializeToString())
        check(again is not None and again.result == envelope_pb2.Ack.RESULT_DUPLICATE,
              "retry answered DUPLICATE")

        nodes, edges = load_network(args.source_dir)
        expected = dmp_risk(nodes, edges, {"FAB-KUM"})
        alerts = {}
        deadline = time.time() + 10
        while "ECU-NGO" not in alerts and time.time() < deadline:
            if sub.poll(500):
                topic, payload = sub.recv_multipart()
                pub = outputs_pb2.Publication()
                pub.ParseFromString(payload)
                alerts[pub.alert.node_id] = (topic.decode(), pub)
        check("ECU-NGO" in alerts, "alert for FAB-KUM's customer ECU-NGO received")
        if "ECU-NGO" in alerts:
            topic, pub = alerts["ECU-NGO"]
            got = pub.alert.probability
            print(f"     daemon P={got!r}, independent Python DMP P={expected['ECU-NGO']!r}")
            check(pub.alert.method == common_pb2.PROJECTION_METHOD_DMP, "served by DMP, as configured")
            # The daemon's projections store DMP messages as float (docs/model.md
            # §5, "Storage precision": at most ~1e-6 on a published risk, 3e-8
            # here); this computation keeps double.
            check(abs(got - expected["ECU-NGO"]) < 1e-6,
                  "probability matches the independent Python computation")
            check(topic.startswith("alert.critical.supply.ECU-NGO") or topic.startswith("alert.warning.supply.ECU-NGO"),
                  "topic prefix-filters by severity, risk type and node")
            check(list(pub.alert.cause_path)[:1] == ["FAB-KUM"], "cause path starts at the source")

        garbage = request(b"\x08\x96\x01not a protobuf\xff")
        check(garbage is not None and garbage.result == envelope_pb2.Ack.RESULT_REJECTED and garbage.reason,
              "garbage bytes rejected with a reason: %r" % (garbage.reason if garbage else None))
        bad = envelope_pb2.Envelope(event_id="py-bad")
        bad.supplier_status.node_id = "NOPE"
        bad.supplier_status.state = common_pb2.NODE_STATE_DISRUPTED
        rej = request(bad.SerializeToString())
        check(rej is not None and rej.result == envelope_pb2.Ack.RESULT_REJECTED and
              rej.reason == "not_found: supplier_status.node_id: node 'NOPE' is not in the network",
              "unknown node rejected not_found: %r" % (rej.reason if rej else None))

        q = envelope_pb2.Envelope(event_id="py-snap")
        q.query.snapshot.SetInParent()
        snap = request(q.SerializeToString())
        check(snap is not None and snap.result == envelope_pb2.Ack.RESULT_ACCEPTED
              and any(a.node_id == "ECU-NGO" for a in snap.response.snapshot.open_alerts),
              "snapshot lists the open alert")

        proc.send_signal(signal.SIGTERM)
        check(proc.wait(timeout=30) == 0, "SIGTERM stops the daemon cleanly")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        if failures:
            print(open(os.path.join(tmp, "riskd.log")).read())
        ctx.destroy(linger=0)
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
