#!/usr/bin/env python3
"""Compare the (rule, EVTX file, EventRecordID) detection sets of mcpsec and a peer.

usage: compare_detections.py MCPSEC.jsonl PEER.jsonl {chainsaw|hayabusa} [title]
(`title`: key on rule titles instead of ids, for Hayabusa's converted rules). See docs/detection.md."""
import json, sys, collections
import re
def rel(p): return re.split(r'corpus[^/]*/', p, 1)[-1]  # path below the corpus directory
def mc(path):
    s={}; 
    for l in open(path):
        d=json.loads(l); ev=d['event']
        s[(d['rule']['id'], rel(d['source']['file']), int(ev.get('EventRecordID', -1)))]=(d['rule']['title'], ev.get('Channel'), ev.get('EventID'))
    return s
def cs(path):
    s={}
    for l in open(path):
        d=json.loads(l)
        if d.get('kind')!='individual': continue
        sysd=d['document']['data']['Event']['System']
        s[(d['id'], rel(d['document']['path']), int(sysd['EventRecordID']))]=(d['name'], sysd.get('Channel'), sysd.get('EventID'))
    return s
def hb(path):
    s={}
    for l in open(path):
        d=json.loads(l)
        s[(d['RuleID'], rel(d['EvtxFile']), int(d.get('RecordID', -1)))]=(d['RuleTitle'], d.get('Channel'), d.get('EventID'))
    return s
a=mc(sys.argv[1]); b=(cs if sys.argv[3]=='chainsaw' else hb)(sys.argv[2])
if len(sys.argv)>4 and sys.argv[4]=='title':  # compare by rule title (converted rules get new ids)
    a={(v[0],)+k[1:]:v for k,v in a.items()}; b={(v[0],)+k[1:]:v for k,v in b.items()}
A=set(a); B=set(b)
print(f"mcpsec {len(A)}  {sys.argv[3]} {len(B)}  both {len(A&B)}  only-mcpsec {len(A-B)}  only-{sys.argv[3]} {len(B-A)}")
for name,diff,t in (("only mcpsec",A-B,a),("only "+sys.argv[3],B-A,b)):
    c=collections.Counter(t[k][0][:50]+" | "+str(t[k][1])+" "+str(t[k][2]) for k in diff)
    print(f"-- {name}: {len(c)} (rule, channel, eid) groups")
    for r,n in c.most_common(25): print(f"  {n:5d} {r}")
