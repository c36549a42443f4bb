"""The compiled evaluator: one postfix interpreter and the two-pass (EAM-like) energy/force/virial driver.

No code is generated per formula: programs are data (see symbolicpot.expr.compile). The interpreter runs a program
on a batch of rows (pairs or atoms) that stays in cache, node by node, in forward mode: every stack entry carries
its value, first derivatives along the tangent directions (the inputs, then optionally the constants) and, when
constant gradients are wanted, the mixed second derivatives d²/d(input) d(direction) that analytic forces need.
"""
import numba
import numpy as np

from ..expr.primitives import (ADD, ARITY, CONST, DIV, EXP, INPUT, LOG, MUL, POW, SQRT, SUB, TANH,
                               local_partials)

BATCH = 128  # rows per interpreter call


@numba.njit(cache=True, fastmath={"reassoc"}, error_model="numpy")
def _all_finite(values, n):
    """True when values[:n] holds no NaN or ±inf (v - v is NaN exactly for those)."""
    s = 0.0
    for b in range(n):
        s += values[b] - values[b]
    return s == 0.0


@numba.njit(cache=True, inline="always", error_model="numpy")
def _op_values_and_partials(op, x, y, n, need_y, second, part):
    """x[:n] = op(x, y)[:n]; partials into part (5, BATCH): ∂x, ∂y and, with `second`, ∂xx, ∂xy, ∂yy."""
    if second:
        for b in range(n):
            x[b], part[0, b], part[1, b], part[2, b], part[3, b], part[4, b] = local_partials(op, x[b], y[b], need_y)
    else:  # the second partials are not stored, so the compiler drops their arithmetic
        for b in range(n):
            x[b], part[0, b], part[1, b], _, _, _ = local_partials(op, x[b], y[b], need_y)


@numba.njit(cache=True, error_model="numpy")
def run_program(code, arg, consts, n_const_dirs, inputs, n, sv, sg, sh, part, live):
    """Evaluate a postfix program on rows 0..n-1 of `inputs` ((n_in, BATCH)); False on a non-finite value.

    Directions: the n_in inputs, then the first `n_const_dirs` constants. Work arrays, result in entry 0:
    sv (depth, BATCH) values; sg (depth, n_dir, BATCH) first derivatives; sh (depth, n_hess, n_dir, BATCH)
    second derivatives along the first n_hess directions and every direction; part (5, BATCH) scratch;
    live (depth,) whether an entry's derivatives are nonzero (without second derivatives, derivatives of
    entries that depend on no direction are neither computed nor read).
    """
    n_in, n_dir, n_hess = inputs.shape[0], sg.shape[1], sh.shape[1]
    top = 0
    for k in range(code.shape[0]):
        op = code[k]
        if op == CONST or op == INPUT:
            if op == CONST:
                sv[top, :n] = consts[arg[k]]
            else:
                sv[top, :n] = inputs[arg[k], :n]
            direction = arg[k] if op == INPUT else (n_in + arg[k] if arg[k] < n_const_dirs else -1)
            live[top] = direction >= 0 or n_hess > 0
            if live[top]:
                sg[top, :, :n] = 0.0
                sh[top, :, :, :n] = 0.0
                if direction >= 0:
                    sg[top, direction, :n] = 1.0
            top += 1
            continue
        a = top - ARITY[op]  # first operand, overwritten by the result
        c = top - 1          # second operand (the first again for unary ops, whose partials along it are 0)
        live_a, live_c = live[a], live[c] and ARITY[op] == 2
        # One loop per opcode, so that each loop is compiled for a known operation and can be vectorised.
        x, y, second = sv[a], sv[c], n_hess > 0
        if op == ADD:
            _op_values_and_partials(ADD, x, y, n, live_c, second, part)
        elif op == SUB:
            _op_values_and_partials(SUB, x, y, n, live_c, second, part)
        elif op == MUL:
            _op_values_and_partials(MUL, x, y, n, live_c, second, part)
        elif op == DIV:
            _op_values_and_partials(DIV, x, y, n, live_c, second, part)
        elif op == POW:
            _op_values_and_partials(POW, x, y, n, live_c, second, part)
        elif op == EXP:
            _op_values_and_partials(EXP, x, y, n, live_c, second, part)
        elif op == LOG:
            _op_values_and_partials(LOG, x, y, n, live_c, second, part)
        elif op == SQRT:
            _op_values_and_partials(SQRT, x, y, n, live_c, second, part)
        else:
            _op_values_and_partials(TANH, x, y, n, live_c, second, part)
        for i in range(n_hess):
            for j in range(n_dir):
                for b in range(n):
                    ai, aj, ci, cj = sg[a, i, b], sg[a, j, b], sg[c, i, b], sg[c, j, b]
                    sh[a, i, j, b] = (part[2, b] * ai * aj + part[3, b] * (ai * cj + ci * aj) + part[4, b] * ci * cj
                                      + part[0, b] * sh[a, i, j, b] + part[1, b] * sh[c, i, j, b])
        for j in range(n_dir):
            if live_a and live_c:
                for b in range(n):
                    sg[a, j, b] = part[0, b] * sg[a, j, b] + part[1, b] * sg[c, j, b]
            elif live_a:
                for b in range(n):
                    sg[a, j, b] *= part[0, b]
            elif live_c:
                for b in range(n):
                    sg[a, j, b] = part[1, b] * sg[c, j, b]
        live[a] = live_a or live_c
        if not _all_finite(sv[a], n):
            return False
        top = a + 1
    if not live[0]:  # a result that depends on no direction has zero derivatives
        sg[0, :, :n] = 0.0
    return True


@numba.njit(cache=True, error_model="numpy")
def evaluate(atom_code, atom_arg, atom_cids, pair_code, pair_arg, pair_offsets, pair_cids, pair_coffsets, depth,
             theta, with_gradients, first, neighbour, distance, vector, fc, dfc, atom_config, n_configs, work, work_t):
    """Energies, forces and virials of every configuration, optionally with their constant gradients.

    Two passes over the full neighbour list (pairs p = (i, j) sorted by i, atom i's pairs first[i]:first[i+1],
    r_p in Å, cutoff fc(r), dfc = dfc/dr):
    sums S_k(i) = Σ_p g_k(r_p) fc(r_p); atom terms T(S(i)) and dT/dS_k; then dE/dr_p = Σ_k dT/dS_k(i)·(g_k fc)'.
    `work` (2, ≥K, n_pairs) and `work_t` (2, n_pairs, ≥P) are reused scratch (fresh large arrays every call would
    cost a page fault per 4 kB). Returns ok, energy (C,) eV, atom energies T_i (N,) eV, forces (N, 3) eV/Å, virial (C, 6) eV as Σ_p dE/dr_p · v_a v_b / r_p in Voigt
    order (xx yy zz yz xz xy), and d(energy, forces, virial)/dθ with a last axis of length P (0 without gradients).
    """
    n_pairs, n_atoms, K = distance.shape[0], atom_config.shape[0], pair_offsets.shape[0] - 1
    P = theta.shape[0] if with_gradients else 0
    owner = np.full(theta.shape[0], -1)  # the sum whose pair expression holds constant m; -1 at atom level
    for k in range(K):
        owner[pair_cids[pair_coffsets[k]:pair_coffsets[k + 1]]] = k
    part, live = np.empty((5, BATCH)), np.empty(depth, np.bool_)
    energy, forces, virial = np.zeros(n_configs), np.zeros((n_atoms, 3)), np.zeros((n_configs, 6))
    atom_energy = np.zeros(n_atoms)
    d_energy, d_forces, d_virial = np.zeros((n_configs, P)), np.zeros((n_atoms, 3, P)), np.zeros((n_configs, 6, P))
    failed = (False, energy, atom_energy, forces, virial, d_energy, d_forces, d_virial)

    # Pass 1: pair terms g_k(r) with dg/dr (and dg/dθ, d²g/drdθ), sums S_k(i).
    g, dg, g_t, dg_t = work[0], work[1], work_t[0], work_t[1]
    if with_gradients:
        work_t[:, :, :P] = 0.0
    s, s_t = np.zeros((K, n_atoms)), np.zeros((n_atoms, P))
    rows = np.empty((1, BATCH))
    for k in range(K):
        cids = pair_cids[pair_coffsets[k]:pair_coffsets[k + 1]]
        n_c = cids.shape[0] if with_gradients else 0
        sv, sg = np.empty((depth, BATCH)), np.empty((depth, 1 + n_c, BATCH))
        sh = np.empty((depth, 1 if with_gradients else 0, 1 + n_c, BATCH))
        code, arg = pair_code[pair_offsets[k]:pair_offsets[k + 1]], pair_arg[pair_offsets[k]:pair_offsets[k + 1]]
        consts = theta[cids]
        for p0 in range(0, n_pairs, BATCH):
            n = min(BATCH, n_pairs - p0)
            rows[0, :n] = distance[p0:p0 + n]
            if not run_program(code, arg, consts, n_c, rows, n, sv, sg, sh, part, live):
                return failed
            g[k, p0:p0 + n], dg[k, p0:p0 + n] = sv[0, :n], sg[0, 0, :n]
            for m in range(n_c):
                g_t[p0:p0 + n, cids[m]], dg_t[p0:p0 + n, cids[m]] = sg[0, 1 + m, :n], sh[0, 0, 1 + m, :n]
    for i in range(n_atoms):  # the pairs of atom i are first[i]:first[i+1] (the list is sorted by centre)
        for p in range(first[i], first[i + 1]):
            for k in range(K):
                s[k, i] += g[k, p] * fc[p]
            for m in range(P):
                s_t[i, m] += g_t[p, m] * fc[p]

    # Pass 2: atom terms T(S), dT/dS_k, and d(dT/dS_k)/dθ (through S and through T's own constants).
    n_c = atom_cids.shape[0] if with_gradients else 0
    sv, sg = np.empty((depth, BATCH)), np.empty((depth, K + n_c, BATCH))
    sh = np.empty((depth, K if with_gradients else 0, K + n_c, BATCH))
    t_s, d_t_s = np.empty((K, n_atoms)), np.zeros((n_atoms, K, P))
    rows, consts = np.empty((K, BATCH)), theta[atom_cids]
    for a0 in range(0, n_atoms, BATCH):
        n = min(BATCH, n_atoms - a0)
        rows[:, :n] = s[:, a0:a0 + n]
        if not run_program(atom_code, atom_arg, consts, n_c, rows, n, sv, sg, sh, part, live):
            return failed
        for b in range(n):
            i = a0 + b
            c = atom_config[i]
            energy[c] += sv[0, b]
            atom_energy[i] = sv[0, b]
            t_s[:, i] = sg[0, :K, b]
            for m in range(n_c):
                d_energy[c, atom_cids[m]] += sg[0, K + m, b]
                d_t_s[i, :, atom_cids[m]] = sh[0, :, K + m, b]
            for m in range(P):
                if owner[m] >= 0:
                    d_energy[c, m] += sg[0, owner[m], b] * s_t[i, m]
                    for k in range(K):
                        d_t_s[i, k, m] += sh[0, k, owner[m], b] * s_t[i, m]

    # Pass 3: dE/dr_p into forces and virials; atom i's own force and its virial share stay in registers.
    slope = np.empty(K)
    for i in range(n_atoms):
        c = atom_config[i]
        fx = fy = fz = wxx = wyy = wzz = wyz = wxz = wxy = 0.0
        for p in range(first[i], first[i + 1]):
            j, r, vx, vy, vz = neighbour[p], distance[p], vector[p, 0], vector[p, 1], vector[p, 2]
            de_dr = 0.0
            for k in range(K):
                slope[k] = dg[k, p] * fc[p] + g[k, p] * dfc[p]
                de_dr += t_s[k, i] * slope[k]
            w = de_dr / r
            fx, fy, fz = fx + w * vx, fy + w * vy, fz + w * vz
            forces[j, 0] -= w * vx
            forces[j, 1] -= w * vy
            forces[j, 2] -= w * vz
            wxx, wyy, wzz = wxx + w * vx * vx, wyy + w * vy * vy, wzz + w * vz * vz
            wyz, wxz, wxy = wyz + w * vy * vz, wxz + w * vx * vz, wxy + w * vx * vy
            for m in range(P):
                d_de_dr = 0.0
                for k in range(K):
                    d_de_dr += d_t_s[i, k, m] * slope[k]
                if owner[m] >= 0:
                    d_de_dr += t_s[owner[m], i] * (dg_t[p, m] * fc[p] + g_t[p, m] * dfc[p])
                _scatter(d_de_dr, vector[p], r, i, j, d_forces[:, :, m], d_virial[c, :, m])
        forces[i, 0] += fx
        forces[i, 1] += fy
        forces[i, 2] += fz
        virial[c, 0] += wxx
        virial[c, 1] += wyy
        virial[c, 2] += wzz
        virial[c, 3] += wyz
        virial[c, 4] += wxz
        virial[c, 5] += wxy
    ok = (np.isfinite(energy).all() and np.isfinite(forces).all() and np.isfinite(virial).all()
          and np.isfinite(d_energy).all() and np.isfinite(d_forces).all() and np.isfinite(d_virial).all())
    return ok, energy, atom_energy, forces, virial, d_energy, d_forces, d_virial


@numba.njit(cache=True, inline="always", error_model="numpy")
def _scatter(de_dr, v, r, i, j, forces, virial):
    """Add the pair's dE/dr (eV/Å) along vector v (Å, from i to j) to forces (N, 3) and the virial (6,)."""
    w = de_dr / r
    for a in range(3):
        forces[i, a] += w * v[a]
        forces[j, a] -= w * v[a]
    virial[0] += w * v[0] * v[0]
    virial[1] += w * v[1] * v[1]
    virial[2] += w * v[2] * v[2]
    virial[3] += w * v[1] * v[2]
    virial[4] += w * v[0] * v[2]
    virial[5] += w * v[0] * v[1]


@numba.njit(cache=True, error_model="numpy")
def evaluate_many(atom_code, atom_arg, atom_cids, pair_code, pair_arg, pair_offsets, pair_cids, pair_coffsets, depth,
                  thetas, first, neighbour, distance, vector, fc, dfc, atom_config, n_configs, work, work_t):
    """`evaluate` for each row of thetas (M, P) in one call: ok (M,), energy (M, C), forces (M, N, 3), virial (M, C, 6)."""
    M = thetas.shape[0]
    ok = np.empty(M, np.bool_)
    energy = np.empty((M, n_configs))
    forces = np.empty((M, atom_config.shape[0], 3))
    virial = np.empty((M, n_configs, 6))
    for m in range(M):
        ok[m], energy[m], _, forces[m], virial[m], _, _, _ = evaluate(
            atom_code, atom_arg, atom_cids, pair_code, pair_arg, pair_offsets, pair_cids, pair_coffsets, depth,
            thetas[m], False, first, neighbour, distance, vector, fc, dfc, atom_config, n_configs, work, work_t)
    return ok, energy, forces, virial
