"""Q from Householder reflectors (LAPACK's geqrf layout), built by hand for the tests."""

import numpy as np


def householder_q(a: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Q = H_1 ... H_k (m x m), H_i = I - tau_i v_i v_i^T, v_i = e_i + a[i+1:, i] below."""
    m = a.shape[0]
    q = np.eye(m)
    for i in range(len(tau)):
        v = np.zeros(m)
        v[i] = 1.0
        v[i + 1 :] = a[i + 1 :, i]
        q = q @ (np.eye(m) - tau[i] * np.outer(v, v))
    return q
