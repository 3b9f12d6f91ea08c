#!/usr/bin/env python3
"""Writes the benchmark input for `terrace flows`: N series x 120 monthly
periods in long format (series_id,period,amount), fixed seed.

Each series is an upgrading investment: an outlay at t = 0, then seasonal
net benefits with noise (harvests in months 3 and 9). One series in ten
also pays a replacement cost at month 60, so its flows change sign more than
once and exercise the all-roots IRR path.

Usage: python3 gen_flows.py N OUT.csv   (e.g. 100000 /tmp/flows-100k.csv)
"""
import sys

import numpy as np
import pandas as pd

n = int(sys.argv[1])
out = sys.argv[2]
T = 120
rng = np.random.default_rng(20260101)
outlay = rng.uniform(500, 5000, n)
base = outlay[:, None] * rng.uniform(0.01, 0.04, n)[:, None]
month = np.arange(T)
season = 1.0 + 2.0 * np.isin(month % 12, [3, 9])
flows = base * season[None, :] * rng.lognormal(0.0, 0.4, (n, T)) - 0.5 * base
flows[:, 0] = -outlay
replace = rng.random(n) < 0.1
flows[replace, 60] -= outlay[replace] * 0.8
flows = np.round(flows, 2)
df = pd.DataFrame(
    {
        "series_id": np.repeat([f"s{i:06d}" for i in range(n)], T),
        "period": np.tile(month, n),
        "amount": flows.ravel(),
    }
)
df.to_csv(out, index=False)
