"""The Adafactor kernel: factored second moments with the row/column reductions inside.

A run's tensors are segments of one flat buffer, described by `layout` (one int64 row per
tensor: param offset, factored flag, batch B, rows R, cols C, row_var / col_var / variance
offsets). A tensor of >= 2 dims is B matrices R x C (leading dims are the batch, as
PyTorch factors the last two); smaller tensors keep a full `variance`.

Work is cut into tasks so one `prange` serves tensors of every size: a factored matrix is
split into at most `row_blocks` blocks of whole rows, none much smaller than `chunk`
elements (a block sums its rows completely and writes column partials to a small scratch,
O(row_blocks * C) per matrix, never O(R * C));
a vector is split into chunks. Each thread takes a contiguous share of the tasks holding
an equal number of elements (`_tasks`). Memory is swept twice, three times for a matrix
whose clamp may bind:
(1) g^2 row sums -> row_var (R_r), column partials of g^2 and of S_c = sum_r g^2 / R_r (a
    second loop over each row while it is in cache: R_r needs the whole row first),
    ||p||^2, vector variances (and a vector's ||u||^2, its v_hat being final);
(2) per matrix (`_finish_matrix`), by the thread that summed all its rows, right after its
    last task (serially after sweep 1 for the few matrices split between threads): column
    partials -> col_var (C_c), rvm = max(mean R, eps1), b_c = 1 / sqrt(C_c),
    a_r = sqrt(rvm / R_r). v_hat = R_r * C_c / rvm, so if
    min R * min C / rvm is above eps1^2 (with CLAMP_MARGIN for rounding) the clamp binds
    nowhere, u = g * a_r * b_c and ||u||^2 = rvm * sum_c S_c / C_c: no sweep over g;
(3) only for a matrix where the clamp may bind (or a factor is not finite): ||u||^2 over g,
    exact, u = g / max(sqrt(v_hat), eps1) where a row's smallest v_hat may be clamped;
(4) p = p * decay - alpha / max(1, RMS(u) / d) * u (`_update_task`); u = g * a_r * b_c
    (multiplies only) in a row that cannot clamp, the clamped form otherwise. A tensor all
    of whose tasks were one thread's, with ||u||^2 known after sweep 1 (a vector, or
    matrices in closed form), is updated by that thread right after its last task, while
    its rows are still in the core's cache; the others wait for this sweep.
u is recomputed rather than stored, so memory stays sublinear, which is Adafactor's point.
Sums are float64 whatever the dtype, except the norms (||p||^2, ||u||^2 and S_c, which only
feeds ||u||^2): summed in the dtype over blocks of segments.BLOCK elements (rows for S_c)
and in float64 across blocks (a float64 accumulator halves the vector width of a float32
loop, and these loops divide and take square roots).
Inner loops run over slices indexed from 0, which lets Numba drop negative-index checks and
vectorise (10x faster than indexing the flat arrays at an offset).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ..jit import kernel
from ..partials import zeros, zeros_float64
from .segments import BLOCK, sums_of_squares

# columns of the layout table
P_OFF, FACTORED, BATCH, ROWS, COLS, ROW_OFF, COL_OFF, VAR_OFF = range(8)
# relative margin above eps1^2 before a v_hat is trusted not to be clamped (see sweep 2)
CLAMP_MARGIN = 1e-4
# Rows whose column sums sweep 1 adds in one pass (BLOCK must be a multiple of it).
ROW_GROUP = 4


@kernel(parallel=False, inline=True)
def _blocks(rows, cols, row_blocks, chunk):
    """Row blocks (tasks) of one rows x cols matrix: at most row_blocks, and none smaller
    than ~chunk elements. Each block owns a row of column partials that sweep 2 adds up
    serially, so tiny blocks only cost: 8 blocks for every matrix of a 100k-parameter
    model made the scratch as large as the matrices themselves."""
    return max(1, min(rows, row_blocks, rows * cols // chunk))


@kernel(parallel=False)
def _tasks(layout, chunk, row_blocks, parts):
    """Task table: (tensor, matrix index or -1, lo, hi, scratch offset, matrix slot) rows,
    the matrix slots, the scratch size, and `bounds`: thread th takes tasks
    bounds[th]:bounds[th + 1].

    For a factored task lo:hi are rows of matrix b; for a vector task, flat offsets. Matrix
    slots number the (tensor, b) pairs, each with the range of its tasks. Tasks differ in
    size (a matrix has up to row_blocks of them, see `_blocks`), so the threads' shares are
    cut by element count: prange's equal task counts gave one of two threads 60% of the
    elements of the benchmark's 20 tensors.
    """
    n_tasks = 0
    n_mats = 0
    for k in range(layout.shape[0]):
        size = layout[k, BATCH] * layout[k, ROWS] * layout[k, COLS]
        if size == 0:
            continue
        if layout[k, FACTORED]:
            n_mats += layout[k, BATCH]
            blocks = _blocks(layout[k, ROWS], layout[k, COLS], row_blocks, chunk)
            n_tasks += layout[k, BATCH] * blocks
        else:
            n_tasks += (size + chunk - 1) // chunk
    tasks = np.empty((n_tasks, 6), dtype=np.int64)
    mats = np.empty((n_mats, 4), dtype=np.int64)  # tensor, b, first task, last task
    t = 0
    m = 0
    scratch = 0
    for k in range(layout.shape[0]):
        rows = layout[k, ROWS]
        cols = layout[k, COLS]
        size = layout[k, BATCH] * rows * cols
        if size == 0:
            continue
        if layout[k, FACTORED]:
            blocks = _blocks(rows, cols, row_blocks, chunk)
            per_block = (rows + blocks - 1) // blocks
            for b in range(layout[k, BATCH]):
                mats[m, 0] = k
                mats[m, 1] = b
                mats[m, 2] = t
                r = 0
                while r < rows:
                    tasks[t, 0] = k
                    tasks[t, 1] = b
                    tasks[t, 2] = r
                    tasks[t, 3] = min(r + per_block, rows)
                    tasks[t, 4] = scratch
                    tasks[t, 5] = m
                    scratch += cols
                    r += per_block
                    t += 1
                mats[m, 3] = t
                m += 1
        else:
            lo = layout[k, P_OFF]
            end = lo + size
            while lo < end:
                tasks[t, 0] = k
                tasks[t, 1] = -1
                tasks[t, 2] = lo
                tasks[t, 3] = min(lo + chunk, end)
                tasks[t, 4] = -1
                tasks[t, 5] = -1
                lo += chunk
                t += 1
    tasks = tasks[:t]
    work = np.empty(t, dtype=np.int64)
    for i in range(t):
        k = tasks[i, 0]
        width = layout[k, COLS] if tasks[i, 1] >= 0 else 1
        work[i] = (tasks[i, 3] - tasks[i, 2]) * width
    total = work.sum()
    bounds = np.empty(parts + 1, dtype=np.int64)
    bounds[0] = 0
    done = 0
    i = 0
    for th in range(1, parts):
        # a task goes to the earlier thread if most of it lies before the cut
        while i < t and 2 * (done + work[i]) - work[i] <= 2 * total * th // parts:
            done += work[i]
            i += 1
        bounds[th] = i
    bounds[parts] = t
    return tasks, mats, scratch, bounds


@kernel(parallel=False)
def _matrix(layout, k, b):
    """(rows, cols, param offset, row_var offset, col_var offset) of matrix b of tensor k."""
    rows = layout[k, ROWS]
    cols = layout[k, COLS]
    return (
        rows,
        cols,
        layout[k, P_OFF] + b * rows * cols,
        layout[k, ROW_OFF] + b * rows,
        layout[k, COL_OFF] + b * cols,
    )


@kernel(parallel=False, inline=True)
def _add_task_rows(partials, tasks, first, last, sums):
    """sums += the column partials of tasks first..last-1, task by task: each task's row of
    the scratch is contiguous (a loop over tasks inside one over columns strode through
    them, ~3x slower at 1M parameters)."""
    cols = sums.size
    for t in range(first, last):
        part = partials[tasks[t, 4] : tasks[t, 4] + cols]
        for c in range(cols):
            sums[c] += part[c]


@kernel(parallel=False, inline=True)
def _split_between_threads(mats, m, bounds):
    """Whether matrix m's tasks fall in more than one thread's share (bounds from _tasks)."""
    for th in range(1, bounds.size - 1):
        if mats[m, 2] < bounds[th] < mats[m, 3]:
            return True
    return False


@kernel(parallel=False)
def _finish_matrix(
    m, layout, tasks, mats, row_var, col_var, sums, factors, one_minus_beta2, eps1, no_clamp
):  # fmt: skip
    """Sweep 2 for matrix m, once sweep 1 has summed all its rows: column partials ->
    col_var (C_c), rvm = max(mean R, eps1), b_c = 1 / sqrt(C_c), a_r = sqrt(rvm / R_r), and
    ||u||^2 in closed form when no v_hat can be clamped. O(row_blocks * C + R).

    sums = (col_partial, s_partial, column_sums, s_column_sums): the tasks' partials and the
    per-column totals; factors = (col_inv, row_inv, row_free, row_var_mean, min_col, closed,
    u_mat), the outputs (see adafactor_kernel)."""
    col_partial, s_partial, column_sums, s_column_sums = sums
    col_inv, row_inv, row_free, row_var_mean, min_col, closed, u_mat = factors
    rows, cols, _, roff, coff = _matrix(layout, mats[m, 0], mats[m, 1])
    closed[m] = False
    col_sums = column_sums[coff : coff + cols]
    _add_task_rows(col_partial, tasks, mats[m, 2], mats[m, 3], col_sums)
    col_total = 0.0
    col_min = np.inf
    for c in range(cols):
        total = col_sums[c]
        cv = col_var[coff + c]
        col_var[coff + c] = cv + one_minus_beta2 * (total / rows - cv)
        cv64 = np.float64(col_var[coff + c])
        col_total += cv64
        col_min = min(col_min, cv64)
        col_inv[coff + c] = 1.0 / math.sqrt(cv64)
    total = 0.0
    row_min = np.inf
    for r in range(rows):
        rv64 = np.float64(row_var[roff + r])
        total += rv64
        row_min = min(row_min, rv64)
    row_var_mean[m] = max(total / rows, eps1)
    rvm = np.float64(row_var_mean[m])
    # a non-finite factor (NaN, Inf) sends the matrix down the exact path: the minima
    # would skip a NaN, so they are trusted only when the totals are finite
    min_col[m] = col_min if math.isfinite(col_total) else np.nan
    for r in range(rows):
        rv64 = np.float64(row_var[roff + r])
        row_inv[roff + r] = math.sqrt(rvm / rv64)
        # v_hat[r, c] >= R_r * min C / rvm: above eps1^2, the row takes the
        # multiply-only form in sweeps 3 and 4
        row_free[roff + r] = rv64 * min_col[m] / rvm > no_clamp
    # v_hat[r, c] = R_r * C_c / rvm >= min R * min C / rvm: if that is above eps1^2 the
    # clamp binds nowhere, u = g * sqrt(rvm / R_r) / sqrt(C_c), and
    # ||u||^2 = rvm * sum_c S_c / C_c with S_c = sum_r g^2 / R_r from sweep 1
    if math.isfinite(total) and row_min * min_col[m] / rvm > no_clamp:
        closed[m] = True
        s_sums = s_column_sums[coff : coff + cols]
        _add_task_rows(s_partial, tasks, mats[m, 2], mats[m, 3], s_sums)
        u_sum = 0.0
        for c in range(cols):
            u_sum += s_sums[c] / np.float64(col_var[coff + c])
        u_mat[m] = u_sum * rvm


@kernel(parallel=False)
def _tensor_tasks(tasks, n_seg):
    """(first, last, done) per tensor: its tasks are first..last-1 (first = -1 if it has
    none, being empty), and done[k] = False (set when sweep 1 has updated it)."""
    first = np.empty(n_seg, dtype=np.int64)
    last = np.empty(n_seg, dtype=np.int64)
    done = np.empty(n_seg, dtype=np.bool_)
    for k in range(n_seg):
        first[k] = -1
        last[k] = -1
        done[k] = False
    for t in range(tasks.shape[0]):
        k = tasks[t, 0]
        if first[k] < 0:
            first[k] = t
        last[k] = t + 1
    return first, last, done


@kernel(parallel=False, inline=True)
def _all_closed(tasks, first, last, closed):
    """Whether every matrix among tasks first..last-1 got ||u||^2 in closed form."""
    for t in range(first, last):
        if tasks[t, 1] >= 0 and not closed[tasks[t, 5]]:
            return False
    return True


@kernel(parallel=False)
def _tensor_scale(
    k, first_task, last_task, tasks, layout, p_partial, u_partial, u_mat, eps2, rho, d, scale
):  # fmt: skip
    """scale[k] = alpha / max(1, RMS(u) / d) with alpha = max(eps2, RMS(p)) * rho (p before
    weight decay, as PyTorch), from tensor k's task partials and its matrices' closed-form
    ||u||^2, added task by task, then matrix by matrix."""
    size = layout[k, BATCH] * layout[k, ROWS] * layout[k, COLS]
    p_total = 0.0
    u_total = 0.0
    for t in range(first_task[k], last_task[k]):
        p_total += p_partial[t]
        u_total += u_partial[t]
    m = -1
    for t in range(first_task[k], last_task[k]):
        if tasks[t, 1] >= 0 and tasks[t, 5] != m:
            m = tasks[t, 5]
            u_total += u_mat[m]
    alpha = max(eps2, math.sqrt(p_total / size)) * rho
    scale[k] = alpha / max(1.0, math.sqrt(u_total / size) / d)


@kernel(parallel=False)
def _update_task(
    t, tasks, layout, param, grad, variance, row_var, col_var, factors, scale, sign, eps1,
    decay_factor,
):  # fmt: skip
    """Sweep 4 over task t: p = p * (1 - lr * weight_decay) - scale * u."""
    col_inv, row_inv, row_free, row_var_mean, _, _, _ = factors
    k = tasks[t, 0]
    step = scale[k]
    if tasks[t, 1] >= 0:
        m = tasks[t, 5]
        _, cols, base, roff, coff = _matrix(layout, k, tasks[t, 1])
        rvm = row_var_mean[m]
        cvs = col_var[coff : coff + cols]
        cis = col_inv[coff : coff + cols]
        for r in range(tasks[t, 2], tasks[t, 3]):
            start = base + r * cols
            gs, ps = grad[start : start + cols], param[start : start + cols]
            j = roff + r
            rv = row_var[j]
            if row_free[j]:
                # no clamp in this row: u = g * a_r * b_c, multiplies only, so the loop
                # runs at memory speed instead of on a sqrt and a division per element
                coef = step * sign * row_inv[j]  # in the dtype, to keep the loop's width
                for c in range(cols):
                    ps[c] = ps[c] * decay_factor - coef * gs[c] * cis[c]
            else:
                row_scale = rv / rvm
                for c in range(cols):
                    u = sign * gs[c] / max(math.sqrt(row_scale * cvs[c]), eps1)
                    ps[c] = ps[c] * decay_factor - step * u
    else:
        lo, hi = tasks[t, 2], tasks[t, 3]
        voff = layout[k, VAR_OFF] - layout[k, P_OFF]
        gs, ps, vs = grad[lo:hi], param[lo:hi], variance[lo + voff : hi + voff]
        for i in range(gs.size):
            u = sign * gs[i] / max(math.sqrt(vs[i]), eps1)
            ps[i] = ps[i] * decay_factor - step * u


@kernel
def adafactor_kernel(
    param, grad, row_var, col_var, variance, layout, chunk, row_blocks, parts,
    sign, one_minus_beta2, rho, eps1, eps2, d, decay_factor,
):  # fmt: skip
    """One Adafactor step in place over a run of tensors, its tasks shared by `parts`
    threads; see the module docstring."""
    tasks, mats, scratch_size, bounds = _tasks(layout, chunk, row_blocks, parts)
    n_tasks = tasks.shape[0]
    n_mats = mats.shape[0]
    n_seg = layout.shape[0]
    # zeroed arrays come from serial helpers: in this parallel kernel np.zeros would start
    # the thread pool once per array (see partials.py)
    col_partial = zeros_float64(scratch_size)  # per task: sum_r g^2
    s_partial = zeros_float64(scratch_size)  # per task: S_c = sum_r g^2 / R_r
    s_block = zeros(scratch_size, param)  # S_c over <= BLOCK rows, in dtype
    c_block = zeros(scratch_size, param)  # sum_r g^2 over <= BLOCK rows, dtype
    col_inv = np.empty(col_var.size, dtype=param.dtype)  # b_c = 1 / sqrt(C_c)
    row_inv = np.empty(row_var.size, dtype=param.dtype)  # a_r = sqrt(rvm / R_r)
    row_free = np.empty(row_var.size, dtype=np.bool_)  # no v_hat of row r can be clamped
    p_partial = zeros_float64(n_tasks)
    u_partial = zeros_float64(n_tasks)
    row_var_mean = np.empty(n_mats, dtype=param.dtype)
    min_col = np.empty(n_mats, dtype=np.float64)  # min_c C_c, NaN if some C_c is not finite
    closed = np.empty(n_mats, dtype=np.bool_)  # ||u||^2 came in closed form (no sweep 3)
    u_mat = zeros_float64(n_mats)
    column_sums = zeros_float64(col_var.size)  # sweep 2: sum over a matrix's tasks, per column
    s_column_sums = zeros_float64(col_var.size)  # the same for S_c
    zero = sign - sign  # 0 in the arrays' dtype
    e1 = np.float64(eps1)
    # v_hat above this cannot be clamped: the margin covers the rounding of the dtype's
    # R_r / rvm * C_c (a few ulps, <= 1e-6 relative in float32) in the exact form
    no_clamp = e1 * e1 * (1.0 + CLAMP_MARGIN)
    sums = (col_partial, s_partial, column_sums, s_column_sums)
    factors = (col_inv, row_inv, row_free, row_var_mean, min_col, closed, u_mat)
    first_task, last_task, done = _tensor_tasks(tasks, n_seg)
    scale = zeros(n_seg, param)  # per tensor: alpha / max(1, RMS(u) / d), in the dtype

    # (1) row sums of g^2 -> row_var; column partials of g^2 and of g^2 / R_r; ||p||^2;
    # vector variances
    for th in prange(parts):
        for t in range(bounds[th], bounds[th + 1]):
            k = tasks[t, 0]
            p_sum = 0.0
            if tasks[t, 1] >= 0:
                _, cols, base, roff, _ = _matrix(layout, k, tasks[t, 1])
                scr = tasks[t, 4]
                partial = col_partial[scr : scr + cols]
                s_part = s_partial[scr : scr + cols]
                s_blk = s_block[scr : scr + cols]
                c_blk = c_block[scr : scr + cols]
                inv = np.empty(ROW_GROUP, dtype=param.dtype)  # 1 / R_r of a group's rows
                first, last = tasks[t, 2], tasks[t, 3]
                r = first
                while r < last:
                    n_rows = min(ROW_GROUP, last - r)
                    # (a) each row's sums: g^2 -> R_r, p^2 (in the dtype per block: float64
                    # arithmetic made this memory-bound loop compute-bound); sums_of_squares
                    # is inlined (see its decorator), so there is no call per row
                    for q in range(n_rows):
                        start = base + (r + q) * cols
                        row_sum, row_p = sums_of_squares(
                            grad[start : start + cols], param[start : start + cols], zero
                        )
                        p_sum += row_p
                        j = roff + r + q
                        rv = row_var[j]
                        row_var[j] = rv + one_minus_beta2 * (row_sum / cols - rv)
                        # R_r = 0 gives NaN below, but then the clamp may bind and S is unused
                        inv[q] = (sign * sign) / row_var[j]
                    # (b) the column sums of g^2 and S_c = sum_r g^2 / R_r (which needs the
                    # rows' new R_r, known only now) over the group's rows, still in cache:
                    # one load and store of each column accumulator per ROW_GROUP rows. S_c
                    # only feeds ||u||^2 and, like the column sums, is summed in the dtype over
                    # <= BLOCK rows, then in float64.
                    start = base + r * cols
                    if n_rows == ROW_GROUP:
                        g0 = grad[start : start + cols]
                        g1 = grad[start + cols : start + 2 * cols]
                        g2 = grad[start + 2 * cols : start + 3 * cols]
                        g3 = grad[start + 3 * cols : start + 4 * cols]
                        i0, i1, i2, i3 = inv[0], inv[1], inv[2], inv[3]
                        for c in range(cols):
                            a0 = g0[c] * g0[c]
                            a1 = g1[c] * g1[c]
                            a2 = g2[c] * g2[c]
                            a3 = g3[c] * g3[c]
                            c_blk[c] += (a0 + a1) + (a2 + a3)
                            s_blk[c] += (a0 * i0 + a1 * i1) + (a2 * i2 + a3 * i3)
                    else:
                        for q in range(n_rows):
                            gs = grad[start + q * cols : start + (q + 1) * cols]
                            iq = inv[q]
                            for c in range(cols):
                                a = gs[c] * gs[c]
                                c_blk[c] += a
                                s_blk[c] += a * iq
                    r += n_rows
                    if (r - first) % BLOCK == 0 or r == last:
                        for c in range(cols):
                            s_part[c] += np.float64(s_blk[c])
                            s_blk[c] = zero
                            partial[c] += np.float64(c_blk[c])
                            c_blk[c] = zero
                # (2) for a matrix whose tasks were all this thread's, right after its last
                # one, while its partials and row_var are in this core's cache
                m = tasks[t, 5]
                if t == mats[m, 3] - 1 and mats[m, 2] >= bounds[th]:
                    _finish_matrix(
                        m, layout, tasks, mats, row_var, col_var, sums, factors,
                        one_minus_beta2, eps1, no_clamp,
                    )  # fmt: skip
            else:
                lo, hi = tasks[t, 2], tasks[t, 3]
                voff = layout[k, VAR_OFF] - layout[k, P_OFF]
                u_sum = 0.0
                for b0 in range(lo, hi, BLOCK):
                    # sums in the dtype within a block, float64 across (see segments.BLOCK)
                    b1 = min(b0 + BLOCK, hi)
                    gs, ps = grad[b0:b1], param[b0:b1]
                    vs = variance[b0 + voff : b1 + voff]
                    p_block = zero
                    u_block = zero
                    for i in range(gs.size):
                        g = sign * gs[i]
                        v = vs[i] + one_minus_beta2 * (g * g - vs[i])
                        vs[i] = v
                        p = ps[i]
                        p_block += p * p
                        # a vector's v_hat is final here, so ||u||^2 needs no extra sweep
                        u = g / max(math.sqrt(v), eps1)
                        u_block += u * u
                    p_sum += np.float64(p_block)
                    u_sum += np.float64(u_block)
                u_partial[t] = u_sum
            p_partial[t] = p_sum
            # (4) for a tensor all of whose tasks were this thread's and whose ||u||^2 is
            # known (a vector, or matrices in closed form): its update now, while its rows
            # are still in this core's cache
            if t == last_task[k] - 1 and first_task[k] >= bounds[th]:
                if _all_closed(tasks, first_task[k], last_task[k], closed):
                    _tensor_scale(k, first_task, last_task, tasks, layout, p_partial,
                                  u_partial, u_mat, eps2, rho, d, scale)  # fmt: skip
                    for t2 in range(first_task[k], last_task[k]):
                        _update_task(t2, tasks, layout, param, grad, variance, row_var,
                                     col_var, factors, scale, sign, eps1, decay_factor)  # fmt: skip
                    done[k] = True

    # (2) per matrix whose tasks were split between threads: the rest were finished by their
    # thread in sweep 1, right after their last task
    for m in range(n_mats):
        if _split_between_threads(mats, m, bounds):
            _finish_matrix(
                m, layout, tasks, mats, row_var, col_var, sums, factors,
                one_minus_beta2, eps1, no_clamp,
            )  # fmt: skip

    # (3) only for a matrix where the clamp may bind somewhere: ||u||^2 per task, exact.
    # A row whose smallest v_hat is above eps1^2 still takes the multiply-only form.
    n_open = 0
    for m in range(n_mats):
        n_open += not closed[m]
    # prange(0) would still start (and wake) the thread pool, ~12-40 us: skip the loop
    if n_open > 0:
        for th in prange(parts):
            for t in range(bounds[th], bounds[th + 1]):
                k = tasks[t, 0]
                if tasks[t, 1] >= 0 and not closed[tasks[t, 5]]:
                    m = tasks[t, 5]
                    _, cols, base, roff, coff = _matrix(layout, k, tasks[t, 1])
                    rvm = row_var_mean[m]
                    rvm64 = np.float64(rvm)
                    u_sum = 0.0
                    for r in range(tasks[t, 2], tasks[t, 3]):
                        start = base + r * cols
                        j = roff + r
                        rv = row_var[j]
                        row_scale = rv / rvm
                        row_fast = row_free[j]
                        a2 = rvm64 / np.float64(rv)  # a_r^2
                        for c0 in range(0, cols, BLOCK):
                            # sums in the dtype within a block, float64 across (see segments.BLOCK)
                            c1 = min(c0 + BLOCK, cols)
                            gs, cvs = grad[start + c0 : start + c1], col_var[coff + c0 : coff + c1]
                            u_block = zero
                            if row_fast:
                                cis = col_inv[coff + c0 : coff + c1]
                                for c in range(gs.size):
                                    u = gs[c] * cis[c]
                                    u_block += u * u
                                u_sum += np.float64(u_block) * a2
                            else:
                                for c in range(gs.size):
                                    u = sign * gs[c] / max(math.sqrt(row_scale * cvs[c]), eps1)
                                    u_block += u * u
                                u_sum += np.float64(u_block)
                    u_partial[t] = u_sum

    # (4) p = p * (1 - lr * weight_decay) - scale * u for the tensors sweep 1 did not update
    n_left = 0
    for k in range(n_seg):
        if first_task[k] >= 0 and not done[k]:
            _tensor_scale(k, first_task, last_task, tasks, layout, p_partial, u_partial, u_mat,
                          eps2, rho, d, scale)  # fmt: skip
            n_left += 1
    if n_left > 0:  # a parallel region wakes the pool even for no work
        for th in prange(parts):
            for t in range(bounds[th], bounds[th + 1]):
                if not done[tasks[t, 0]]:
                    _update_task(t, tasks, layout, param, grad, variance, row_var, col_var,
                                 factors, scale, sign, eps1, decay_factor)  # fmt: skip
