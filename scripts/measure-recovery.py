#!/usr/bin/env python3
"""Recovery time after SIGKILL of a silo, against the cluster of scripts/local-cluster.sh.

Onboards eight gateways (their grains spread over the silos), posts one event per gateway every
50 ms through the ingress, kills the silo listening on --silo-port with SIGKILL after 3 s, and
reports, per gateway, when it was served (HTTP 200) again. Requests time out after 2 s.

    scripts/local-cluster.sh &        # wait until it prints the ingress line
    scripts/measure-recovery.py       # kills the second silo (port 11112)
"""
import argparse, http.client, json, os, signal, ssl, subprocess, threading, time, urllib.request, uuid

parser = argparse.ArgumentParser()
parser.add_argument("--cluster", default=os.path.join(os.path.dirname(__file__), "..", ".cluster"))
parser.add_argument("--silo-port", type=int, default=11112)
parser.add_argument("--seconds", type=float, default=20)
args = parser.parse_args()
os.chdir(args.cluster)
token = open("data/admin-token").read().strip()

def admin(method, path, body):
    request = urllib.request.Request("http://127.0.0.1:8080/api/v1" + path, json.dumps(body).encode(), method=method,
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request))

admin("PUT", "/orgs/recovery", {"name": "Recovery"})
admin("PUT", "/environments/recovery", {"org_id": "recovery", "name": "Recovery"})
contexts = []
for i in range(8):
    issued = admin("POST", "/environments/recovery/gateway-certificates", {"dp_id": f"dp-{i}"})
    for name, key in (("crt", "certificate_pem"), ("key", "private_key_pem"), ("ca", "ca_pem")):
        open(f"recovery-{i}.{name}", "w").write(issued[key])
    context = ssl.create_default_context(cafile=f"recovery-{i}.ca")
    context.load_cert_chain(f"recovery-{i}.crt", f"recovery-{i}.key")
    contexts.append(context)

def post(i):
    event = {"request_id": str(uuid.uuid4()), "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "model_id": "", "api_key_id": "k", "prompt_tokens": 1, "completion_tokens": 1, "upstream_latency_ms": 1,
             "status_code": 200, "cost_usd": 0, "guardrail_blocked": False, "attempt_index": 0}
    connection = http.client.HTTPSConnection("127.0.0.1", 7944, context=contexts[i], timeout=2)
    try:
        connection.request("POST", "/dp/telemetry", json.dumps({"events": [event]}), {"Content-Type": "application/json"})
        return connection.getresponse().status
    except Exception as error:
        return type(error).__name__
    finally:
        connection.close()

results, end = [], time.time() + args.seconds
def loop(i):
    while time.time() < end:
        started = time.time(); status = post(i); results.append((i, started, time.time(), status)); time.sleep(0.05)

threads = [threading.Thread(target=loop, args=(i,)) for i in range(8)]
for thread in threads: thread.start()
time.sleep(3)
pid = int(subprocess.check_output(["pgrep", "-f", f"Orleans:SiloPort={args.silo_port}"]).split()[0])
killed = time.time(); os.kill(pid, signal.SIGKILL)
for thread in threads: thread.join()

failures = [r for r in results if r[3] != 200 and r[1] >= killed - 2]
print(f"killed silo pid {pid} (port {args.silo_port}); {len(results)} requests, {len(failures)} not 200 after the kill: {sorted(set(str(r[3]) for r in failures))}")
for i in range(8):
    answers = [r for r in results if r[0] == i and r[1] >= killed]
    failed = [r for r in answers if r[3] != 200]
    served = [r for r in answers if r[3] == 200 and (not failed or r[1] > max(f[1] for f in failed))]
    back = f"{min(r[2] for r in served) - killed:.2f} s" if served else "not within the run"
    print(f"gateway dp-{i}: {len(failed)} failed requests, served again {back} after the kill")
