"""Describe each placed practice: deprivation (IMD 2019, imputed where missing) and its hospital profile.

Both are estimates from neighbours, and both are built to be explainable in one sentence:

* **IMD imputation.** 1,367 practices of 2014 closed or merged before 2019 and have no Fingertips score. Each
  gets the plain mean of the scores of the :data:`IMD_K` nearest practices (straight-line distance between
  surgeries) that do have one, and ``imd_imputed = True``. Deprivation is spatially smooth at that scale, and
  a mean of real neighbours never invents a value outside the local range (a LAD mean would blur inner-city
  contrasts).
* **Hospital profile.** Admissions flows are known per MSOA, not per practice. A practice's patients live
  around its surgery, so its profile is a distance-weighted blend of the flow shares of the :data:`FLOW_K`
  nearest MSOA population-weighted centroids, weight ``1 / max(d, FLOW_FLOOR_M)^2`` (the floor stops a
  centroid that happens to sit on the surgery taking all the weight). Shares are renormalised to sum to 1 over
  the trusts in the flows (OHID's *acute* trust catchments: about 2% of each MSOA's admissions go to providers
  outside that list), shares below :data:`SHARE_MIN` are dropped and the rest renormalised again; the dropped
  mass is reported. ``main_trust`` is the trust with the largest share (ties: lower code).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from boundaries.data.sources.geocode import to_bng
from boundaries.data.sources.text import ROW
from boundaries.errors import InputError

IMD_K = 5
FLOW_K = 5
FLOW_FLOOR_M = 500.0
SHARE_MIN = 0.001


def impute_imd(practices: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Columns imd, imd_imputed for ``practices`` (code, x, y), from Fingertips ``scores`` (code, imd)."""
    score = practices["code"].map(scores.set_index("code")["imd"])
    known = score.notna().to_numpy()
    if not known.any():
        raise InputError("no practice of the list has an IMD score", field="Area Code")
    xy = practices[["x", "y"]].to_numpy()
    tree = cKDTree(xy[known])
    _, idx = tree.query(xy[~known], k=min(IMD_K, int(known.sum())))
    idx = np.asarray(idx).reshape(int((~known).sum()), -1)
    values = score.to_numpy(dtype=float).copy()
    values[~known] = values[known][idx].mean(axis=1)
    return pd.DataFrame({"imd": np.round(values, 4), "imd_imputed": ~known}, index=practices.index)


def trust_profiles(
    practices: pd.DataFrame,
    flows: pd.DataFrame,
    centroids: pd.DataFrame,
    *,
    flows_path: str | Path,
    centroids_path: str | Path,
) -> tuple[pd.DataFrame, dict]:
    """Long table practice, trust, share (sorted by practice, then share descending) and a summary dict."""
    unknown = ~flows["msoa"].isin(centroids["msoa"]).to_numpy()
    if unknown.any():
        i = np.flatnonzero(unknown)[0]
        raise InputError(
            f"MSOA {flows['msoa'].iloc[i]} has no centroid in {Path(centroids_path).name}",
            file=flows_path,
            row=int(flows[ROW].iloc[i]),
            field="msoa11_code",
        )
    centroids = centroids[centroids["msoa"].isin(flows["msoa"])].sort_values("msoa").reset_index(drop=True)
    cx, cy = to_bng(centroids["lon"].to_numpy(), centroids["lat"].to_numpy())
    trusts = np.sort(flows["trust"].unique())
    msoa_i = centroids.reset_index().set_index("msoa")["index"]
    matrix = np.zeros((len(centroids), len(trusts)))
    matrix[msoa_i.reindex(flows["msoa"]).to_numpy(), np.searchsorted(trusts, flows["trust"].to_numpy())] = flows[
        "share"
    ].to_numpy()

    tree = cKDTree(np.column_stack([cx, cy]))
    dist, idx = tree.query(practices[["x", "y"]].to_numpy(), k=FLOW_K)
    weight = 1.0 / np.maximum(dist, FLOW_FLOOR_M) ** 2
    weight /= weight.sum(axis=1, keepdims=True)
    blend = np.einsum("pk,pkt->pt", weight, matrix[idx])
    blend /= blend.sum(axis=1, keepdims=True)
    small = blend < SHARE_MIN
    dropped = np.where(small, blend, 0).sum(axis=1)
    blend = np.where(small, 0.0, blend)
    blend /= blend.sum(axis=1, keepdims=True)

    p, t = np.nonzero(blend)
    long = pd.DataFrame(
        {"practice": practices["code"].to_numpy()[p], "trust": trusts[t], "share": np.round(blend[p, t], 6)}
    )
    long = long.sort_values(["practice", "share", "trust"], ascending=[True, False, True])
    long = long.reset_index(drop=True)
    summary = {
        "method": f"inverse-square-distance blend of the {FLOW_K} nearest MSOA centroids "
        f"(floor {FLOW_FLOOR_M:.0f} m), renormalised, shares < {SHARE_MIN} dropped",
        "msoas": int(len(centroids)),
        "trusts": int(len(trusts)),
        "rows": int(len(long)),
        "dropped_share_mean": float(dropped.mean()),
        "dropped_share_max": float(dropped.max()),
        "nearest_msoa_km_median": float(np.median(dist[:, 0]) / 1000),
        "nearest_msoa_km_max": float(dist[:, 0].max() / 1000),
    }
    return long, summary


def main_trusts(shares: pd.DataFrame) -> pd.DataFrame:
    """Per practice: main_trust (largest share, ties to the lower code) and main_trust_share."""
    top = shares.sort_values(["practice", "share", "trust"], ascending=[True, False, True])
    top = top.drop_duplicates("practice").set_index("practice")
    return pd.DataFrame({"main_trust": top["trust"], "main_trust_share": top["share"]})
