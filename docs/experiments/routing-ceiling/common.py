"""Shared by blend.py and embexp.py: the data and the APGR of a score (higher = strong)."""
import json
import sys

import numpy as np


def load():
    """Rows of the evaluation file (argv[1], default data/routing-eval/dev.jsonl), with the
    weak and strong correctness and the source as arrays."""
    path = sys.argv[1] if len(sys.argv) > 1 else 'data/routing-eval/dev.jsonl'
    rows = [json.loads(line) for line in open(path)]
    weak = np.array([r['weak_correct'] for r in rows], float)
    strong = np.array([r['strong_correct'] for r in rows], float)
    source = np.array([r['source'] for r in rows])
    return rows, weak, strong, source


def apgr(score, w, s):
    """Area between the router's quality curve and the weak model's quality, over the area
    between the strong and weak lines; the top-k scores go to the strong model."""
    o = np.argsort(-score, kind='stable')
    w, s, n = w[o], s[o], len(w)
    cs = np.concatenate([[0], np.cumsum(s)])
    cw = np.concatenate([[0], np.cumsum(w)])
    q = (cs + (cw[-1] - cw)) / n
    return np.trapezoid(q - w.mean(), dx=1 / n) / (s.mean() - w.mean())
