#!/usr/bin/env python3
"""The pandas way to do what `terrace flows` does: read the long CSV,
group by series, compute NPV, IRR, MIRR and payback per series.

IRR/NPV/MIRR come from pyxirr (Rust, the fastest Python option); payback
is vectorised numpy on the pivoted matrix. numpy-financial's `irr` (one
eigenvalue problem per series) is timed on a subset and extrapolated.

Usage: python3 flows_pandas.py FILE.csv [RATE]
"""
import sys
import time

import numpy as np
import numpy_financial as npf
import pandas as pd
import pyxirr

path = sys.argv[1]
rate = float(sys.argv[2]) if len(sys.argv) > 2 else 0.01

t0 = time.perf_counter()
df = pd.read_csv(path, dtype={"series_id": str, "period": np.int64, "amount": np.float64})
t_read = time.perf_counter() - t0

t1 = time.perf_counter()
m = df.pivot(index="series_id", columns="period", values="amount").fillna(0.0)
ids = m.index.to_numpy()
values = m.to_numpy()
t_pivot = time.perf_counter() - t1

t2 = time.perf_counter()
npv = np.array([pyxirr.npv(rate, v, start_from_zero=True) for v in values])
irr = np.array([pyxirr.irr(v, silent=True) or np.nan for v in values], dtype=float)
mirr = np.array([pyxirr.mirr(v, rate, rate, silent=True) or np.nan for v in values], dtype=float)
cum = values.cumsum(axis=1)
paid = cum >= 0
first = np.where(paid.any(axis=1), paid.argmax(axis=1), -1)
payback = np.full(len(values), np.nan)
ok = first > 0
rows = np.nonzero(ok)[0]
f = first[ok]
payback[ok] = (f - 1) + (-cum[rows, f - 1]) / values[rows, f]
t_eval = time.perf_counter() - t2

sub = min(2000, len(values))
t3 = time.perf_counter()
for v in values[:sub]:
    npf.irr(v)
t_npf = (time.perf_counter() - t3) / sub * len(values)

total = t_read + t_pivot + t_eval
print(f"series={len(values)} read={t_read:.2f}s pivot={t_pivot:.2f}s "
      f"eval(pyxirr npv+irr+mirr, numpy payback)={t_eval:.2f}s total={total:.2f}s "
      f"series_per_s={len(values) / total:.0f}")
print(f"numpy_financial.irr alone, extrapolated from {sub} series: {t_npf:.1f}s")
print(f"irr nan (pyxirr found none): {np.isnan(irr).sum()}")
