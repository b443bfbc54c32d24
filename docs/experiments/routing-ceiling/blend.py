import random, collections
import numpy as np
from common import apgr, load
rows, w, s, src = load()
N=len(rows)
subj=[r['source']+':'+r.get('subject','') for r in rows]
out={}
for seed in [7,99,1]:
    g=np.array([float(l.split()[1]) for l in open('scores-%d.txt'%seed)])
    idx=list(range(N)); random.Random(seed).shuffle(idx); pri=np.zeros(N)
    for f in range(5):
        te=idx[f::5]; tes=set(te); st=collections.defaultdict(lambda:[0.,0])
        for i in range(N):
            if i not in tes: st[subj[i]][0]+=s[i]-w[i]; st[subj[i]][1]+=1
        for i in te: a,c=st[subj[i]]; pri[i]=(a+0.15*5)/(c+5)
    mixes = [('mix%.1f' % a, (1 - a) * g + a * pri) for a in (0.2, 0.3, 0.5, 0.7)]
    for name, sc in [('lr', g), ('prior', pri)] + mixes:
        for S in ['mmlu','gsm8k','all']:
            m=np.ones(N,bool) if S=='all' else src==S
            out.setdefault((name,S),[]).append(apgr(sc[m],w[m],s[m]))
for k,v in out.items(): print(k, round(np.mean(v),4), np.round(v,3))
