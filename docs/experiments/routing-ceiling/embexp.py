import random
import numpy as np
from scipy.optimize import minimize
from common import apgr, load
rows, w, s, src = load()
N=len(rows)
E=np.loadtxt('emb.txt'); E=np.hstack([E*4, np.ones((N,1))])
need=((s==1)&(w==0)).astype(float); hurt=((s==0)&(w==1)).astype(float)
def lr(X,y,l2):
    def f(b):
        z=X@b; p=1/(1+np.exp(-z))
        return np.sum(np.logaddexp(0,z)-y*z)/len(y)+l2*b@b/2, X.T@(p-y)/len(y)+l2*b
    return minimize(f,np.zeros(X.shape[1]),jac=True,method='L-BFGS-B').x
out={}
for seed in [7,99,1]:
    g=np.array([float(l.split()[1]) for l in open('scores-%d.txt'%seed)])
    idx=list(range(N)); random.Random(seed).shuffle(idx)
    for l2 in [0.001,0.01]:
        e=np.zeros(N)
        for f in range(5):
            te=np.array(idx[f::5]); tr=np.setdiff1d(np.arange(N),te)
            bn=lr(E[tr],need[tr],l2); bh=lr(E[tr],hurt[tr],l2)
            e[te]=1/(1+np.exp(-E[te]@bn))-1/(1+np.exp(-E[te]@bh))
        for name,sc in [('emb%g'%l2,e)]+[('mix%g_%.1f'%(l2,a),(1-a)*g+a*e) for a in (0.3,0.5)]:
            for S in ['mmlu','gsm8k','all']:
                m=np.ones(N,bool) if S=='all' else src==S
                out.setdefault((name,S),[]).append(apgr(sc[m],w[m],s[m]))
for k,v in sorted(out.items()): print(k, round(np.mean(v),4), np.round(v,3))
