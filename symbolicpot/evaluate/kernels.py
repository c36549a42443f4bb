"""The compiled evaluator: one postfix interpreter and the two-pass (EAM-like) energy/force/virial driver, and their
batched twins for many constant vectors at once (`run_program_many`, `evaluate_many`; see "The batched path").

No code is generated per formula: programs are data (see symbolicpot.expr.compile). The interpreter runs a program
on a batch of rows (pairs or atoms) that stays in cache, node by node, in forward mode: every stack entry carries
its value, first derivatives along the tangent directions (the inputs, then optionally the constants) and, when
constant gradients are wanted, the mixed second derivatives d²/d(input) d(direction) that analytic forces need.

Three-body sums (`sum3`) run in passes of their own over the ordered pairs of neighbours of each atom, only when
the formula has them (see `_three_body_sums`), so a pair-only formula runs the pair passes alone.
"""
import numba
import numpy as np

from ..expr.primitives import ARITY, CONST, EXP, INPUT, PARTIALS, POW, PRIMITIVES
from . import vector_math

_pow_partials = PRIMITIVES["^"].partials
BATCH = 128  # rows per interpreter call
ROWS = 16384  # entries (constant vectors × rows) per interpreter call in the batched path


@numba.njit(cache=True, fastmath={"reassoc"}, error_model="numpy")
def _all_finite(values, n):
    """True when values[:n] holds no NaN or ±inf (v - v is NaN exactly for those)."""
    s = 0.0
    for b in range(n):
        s += values[b] - values[b]
    return s == 0.0


@numba.njit(cache=True, inline="always", error_model="numpy")
def _op_values_and_partials(partials, x, y, n, need_y, second, part):
    """x[:n] = op(x, y)[:n] for the primitive whose `partials` (expr.primitives) are given; partials into part
    (5, BATCH): ∂x, ∂y and, with `second`, ∂xx, ∂xy, ∂yy."""
    if second:
        for b in range(n):
            x[b], part[0, b], part[1, b], part[2, b], part[3, b], part[4, b] = partials(x[b], y[b], need_y)
    else:  # the second partials are not stored, so the compiler drops their arithmetic
        for b in range(n):
            x[b], part[0, b], part[1, b], _, _, _ = partials(x[b], y[b], need_y)


def _dispatch(loop, arguments):
    """The numba function f(op, ARGUMENTS) returning loop(partials, ARGUMENTS) for the primitive of opcode `op`
    (expr.primitives.PARTIALS) and raising for an unknown one: an if-chain generated from the table, every branch a
    call with a known primitive, which numba compiles (and vectorises) for it. Inlined into the kernels that call
    it, whose numba cache holds it (generated code has no source file of its own to cache)."""
    namespace = {"loop": loop, **{f"partials_{opcode}": partials for opcode, partials in PARTIALS}}
    lines = [f"def dispatch(op, {arguments}):"]
    for k, (opcode, _) in enumerate(PARTIALS):
        lines += [f"    {'elif' if k else 'if'} op == {opcode}:",
                  f"        return loop(partials_{opcode}, {arguments})"]
    lines += ["    raise ValueError('unknown opcode')"]
    exec("\n".join(lines), namespace)
    return numba.njit(inline="always", error_model="numpy")(namespace["dispatch"])


_apply = _dispatch(_op_values_and_partials, "x, y, n, need_y, second, part")


@numba.njit(cache=True, inline="always", error_model="numpy")
def _arity(op):
    """The number of operands of primitive opcode `op`; an opcode past the table raises (never read past ARITY)."""
    if op >= ARITY.shape[0]:
        raise ValueError("unknown opcode")
    return ARITY[op]


@numba.njit(cache=True, inline="always", error_model="numpy")
def _value(partials, a, b):
    return partials(a, b, False)[0]


_scalar = _dispatch(_value, "a, b")  # the value of opcode op on two numbers (b unused by unary ones)


@numba.njit(cache=True, error_model="numpy")
def run_program(code, arg, consts, n_const_dirs, inputs, n, sv, sg, sh, part, live, jets=None):
    """Evaluate a postfix program on rows 0..n-1 of `inputs` ((n_in, BATCH)); False on a non-finite value.

    Directions: the n_in inputs, then the first `n_const_dirs` constants. Work arrays, result in entry 0:
    sv (depth, BATCH) values; sg (depth, n_dir, BATCH) first derivatives; sh (depth, n_hess, n_dir, BATCH)
    second derivatives along the first n_hess directions and every direction; part (5, BATCH) scratch;
    live (depth,) whether an entry's derivatives are nonzero (without second derivatives, derivatives of
    entries that depend on no direction are neither computed nor read).
    `jets`, when given, are further inputs that are functions of the directions with known derivatives: values
    (n_jet, BATCH), first (n_jet, n_dir, BATCH) and second derivatives (n_jet, n_hess, n_dir, BATCH); INPUT k ≥ n_in
    reads jet k − n_in (the three-body pass's bond functions, `_bond_functions`).
    """
    n_in, n_dir, n_hess = inputs.shape[0], sg.shape[1], sh.shape[1]
    top = 0
    for k in range(code.shape[0]):
        op = code[k]
        if jets is not None and op == INPUT and arg[k] >= n_in:
            j = arg[k] - n_in
            sv[top, :n] = jets[0][j, :n]
            sg[top, :, :n] = jets[1][j, :, :n]
            sh[top, :, :, :n] = jets[2][j, :, :, :n]
            live[top] = True
            top += 1
            continue
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
        arity = _arity(op)
        a = top - arity  # first operand, overwritten by the result
        c = top - 1       # second operand (the first again for unary ops, whose partials along it are 0)
        live_a, live_c = live[a], live[c] and arity == 2
        _apply(op, sv[a], sv[c], n, live_c, n_hess > 0, part)
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
def extremes(code, arg, consts, depth, inputs, slot):
    """A program (stack depth `depth`) on every row b of inputs (n_in, n), without constant gradients: whether all
    its values are finite, the largest |value| and the largest |∂/∂input slot[b]| (evaluate.vanishing's check; here
    because numba caches a function by the timestamp of its own file, and this one holds run_program)."""
    n_in = inputs.shape[0]
    sv, sg, sh = np.empty((depth, BATCH)), np.empty((depth, n_in, BATCH)), np.empty((depth, 0, n_in, BATCH))
    part, live, rows = np.empty((5, BATCH)), np.empty(depth, np.bool_), np.empty((n_in, BATCH))
    value = slope = 0.0
    for b0 in range(0, inputs.shape[1], BATCH):
        n = min(BATCH, inputs.shape[1] - b0)
        rows[:, :n] = inputs[:, b0:b0 + n]
        if not run_program(code, arg, consts, 0, rows, n, sv, sg, sh, part, live):
            return False, value, slope
        for b in range(n):
            value, slope = max(value, abs(sv[0, b])), max(slope, abs(sg[0, slot[b0 + b], b]))
    return True, value, slope


@numba.njit(cache=True, error_model="numpy")
def evaluate(program, theta, with_gradients, pairs, work, work_t):
    """Energies, forces and virials of every configuration, optionally with their constant gradients, of the formula
    `program` (expr.compile.KernelProgram) with constants `theta` (P,) on the neighbour arrays `pairs`
    (evaluate.evaluator.PairArrays).

    Two passes over the full neighbour list (pairs p = (i, j) sorted by i, atom i's pairs first[i]:first[i+1],
    r_p in Å, cutoff fc(r), dfc = dfc/dr):
    sums S_k(i) = Σ_p g_k(r_p) fc(r_p) (fc ≡ 1 in a nocut sum); atom terms T(S(i)) and dT/dS_k; then
    dE/dr_p = Σ_k dT/dS_k(i)·(g_k fc)'.
    `work` (2, ≥K, n_pairs) and `work_t` (2, n_pairs, ≥P) are reused scratch (fresh large arrays every call would
    cost a page fault per 4 kB). Returns ok, energy (C,) eV, atom energies T_i (N,) eV, forces (N, 3) eV/Å, virial (C, 6) eV as Σ_p dE/dr_p · v_a v_b / r_p in Voigt
    order (xx yy zz yz xz xy), and d(energy, forces, virial)/dθ with a last axis of length P (0 without gradients).
    The atom terms' inputs are the K pair sums, then the three-body sums (computed between passes 1 and 2, their
    forces after pass 3).
    """
    (atom_code, atom_arg, atom_offsets, atom_cids_all, atom_coffsets, program_of_species, pair_code, pair_arg,
     pair_offsets, pair_cids, pair_coffsets, pair_centre, pair_neighbour, _, _, triplet_offsets, triplet_cids,
     triplet_coffsets, _, _, cut, depth) = program
    first, neighbour, distance, vector, fc, dfc, atom_config, n_configs, atom_species, neighbour_species = pairs
    n_pairs, n_atoms, K = distance.shape[0], atom_config.shape[0], pair_offsets.shape[0] - 1
    n_in = K + triplet_offsets.shape[0] - 1  # the atom terms' inputs: pair sums, then three-body sums
    P = theta.shape[0] if with_gradients else 0
    owner = np.full(theta.shape[0], -1)  # the input (sum) whose expression holds constant m; -1 at atom level
    for k in range(K):
        owner[pair_cids[pair_coffsets[k]:pair_coffsets[k + 1]]] = k
    for k in range(K, n_in):
        owner[triplet_cids[triplet_coffsets[k - K]:triplet_coffsets[k - K + 1]]] = k
    part, live = np.empty((5, BATCH)), np.empty(depth, np.bool_)
    energy, forces, virial = np.zeros(n_configs), np.zeros((n_atoms, 3)), np.zeros((n_configs, 6))
    atom_energy = np.zeros(n_atoms)
    d_energy, d_forces, d_virial = np.zeros((n_configs, P)), np.zeros((n_atoms, 3, P)), np.zeros((n_configs, 6, P))
    failed = (False, energy, atom_energy, forces, virial, d_energy, d_forces, d_virial)

    # Pass 1: pair terms times their sum's cutoff, g_k(r) f(r) (f ≡ 1 for a nocut sum), with d(g_k f)/dr (and their
    # derivatives along θ) on the pairs of sum k's species (0 on the others), sums S_k(i).
    g, dg, g_t, dg_t = work[0], work[1], work_t[0], work_t[1]
    if with_gradients:
        work_t[:, :, :P] = 0.0
    s, s_t = np.zeros((n_in, n_atoms)), np.zeros((n_atoms, P))
    rows, chosen = np.empty((1, BATCH)), np.empty(n_pairs, np.int64)
    for k in range(K):
        cids = pair_cids[pair_coffsets[k]:pair_coffsets[k + 1]]
        n_c = cids.shape[0] if with_gradients else 0
        sv, sg = np.empty((depth, BATCH)), np.empty((depth, 1 + n_c, BATCH))
        sh = np.empty((depth, 1 if with_gradients else 0, 1 + n_c, BATCH))
        code, arg = pair_code[pair_offsets[k]:pair_offsets[k + 1]], pair_arg[pair_offsets[k]:pair_offsets[k + 1]]
        consts = theta[cids]
        # A sum over all pairs reads and writes them in order; gathering through an index array for it too cost 8 %
        # of bench_evaluator's node-pair rate.
        every = pair_centre[k] < 0 and pair_neighbour[k] < 0
        n_chosen = n_pairs if every else _pairs_of_species(pairs, pair_centre[k], pair_neighbour[k], chosen)
        if not every:
            g[k], dg[k] = 0.0, 0.0
        for q0 in range(0, n_chosen, BATCH):
            n = min(BATCH, n_chosen - q0)
            if every:
                rows[0, :n] = distance[q0:q0 + n]
            else:
                for b in range(n):
                    rows[0, b] = distance[chosen[q0 + b]]
            if not run_program(code, arg, consts, n_c, rows, n, sv, sg, sh, part, live):
                return failed
            if every and cut[k]:  # in order, through the smooth cutoff: loops the compiler vectorises
                f_rows, df_rows = fc[q0:q0 + n], dfc[q0:q0 + n]
                _times_cutoff(sv[0], sg[0, 0], f_rows, df_rows, g[k, q0:q0 + n], dg[k, q0:q0 + n])
                for m in range(n_c):
                    _times_cutoff(sg[0, 1 + m], sh[0, 0, 1 + m], f_rows, df_rows, g_t[q0:q0 + n, cids[m]],
                                  dg_t[q0:q0 + n, cids[m]])
            else:
                for b in range(n):
                    p = q0 + b if every else chosen[q0 + b]
                    f, df = _cutoff(cut[k], fc, dfc, p)
                    g[k, p], dg[k, p] = sv[0, b] * f, sg[0, 0, b] * f + sv[0, b] * df
                    for m in range(n_c):
                        g_m = sg[0, 1 + m, b]
                        g_t[p, cids[m]], dg_t[p, cids[m]] = g_m * f, sh[0, 0, 1 + m, b] * f + g_m * df
    for i in range(n_atoms):  # the pairs of atom i are first[i]:first[i+1] (the list is sorted by centre)
        for p in range(first[i], first[i + 1]):
            for k in range(K):
                s[k, i] += g[k, p]
            for m in range(P):
                s_t[i, m] += g_t[p, m]
    n_t = n_in - K
    most_constants = np.diff(triplet_coffsets).max() if n_t > 0 and P > 0 else 0
    bond, bond_t = np.zeros((n_t, n_pairs, 3)), np.zeros((n_t, n_pairs, 3, most_constants))
    if n_t > 0 and not _three_body_sums(program, theta, P, pairs, s[K:], s_t, bond, bond_t):
        return failed

    # Pass 2: atom terms T(S), dT/dS_k, and d(dT/dS_k)/dθ (through S and through T's own constants), each atom by
    # the program of its species.
    t_s, d_t_s = np.zeros((n_in, n_atoms)), np.zeros((n_atoms, n_in, P))
    rows, members = np.empty((n_in, BATCH)), np.empty(n_atoms, np.int64)
    for a in range(atom_offsets.shape[0] - 1):
        code, arg = atom_code[atom_offsets[a]:atom_offsets[a + 1]], atom_arg[atom_offsets[a]:atom_offsets[a + 1]]
        atom_cids = atom_cids_all[atom_coffsets[a]:atom_coffsets[a + 1]]
        n_c = atom_cids.shape[0] if with_gradients else 0
        sv, sg = np.empty((depth, BATCH)), np.empty((depth, n_in + n_c, BATCH))
        sh = np.empty((depth, n_in if with_gradients else 0, n_in + n_c, BATCH))
        consts = theta[atom_cids]
        n_members = 0
        for i in range(n_atoms):
            if program_of_species[atom_species[i]] == a:
                members[n_members] = i
                n_members += 1
        for a0 in range(0, n_members, BATCH):
            n = min(BATCH, n_members - a0)
            for b in range(n):
                rows[:, b] = s[:, members[a0 + b]]
            if not run_program(code, arg, consts, n_c, rows, n, sv, sg, sh, part, live):
                return failed
            for b in range(n):
                i = members[a0 + b]
                c = atom_config[i]
                energy[c] += sv[0, b]
                atom_energy[i] = sv[0, b]
                t_s[:, i] = sg[0, :n_in, b]
                for m in range(n_c):
                    d_energy[c, atom_cids[m]] += sg[0, n_in + m, b]
                    d_t_s[i, :, atom_cids[m]] = sh[0, :, n_in + m, b]
                for m in range(P):
                    if owner[m] >= 0:
                        d_energy[c, m] += sg[0, owner[m], b] * s_t[i, m]
                        for k in range(n_in):
                            d_t_s[i, k, m] += sh[0, k, owner[m], b] * s_t[i, m]

    # Pass 3: dE/dr_p into forces and virials; atom i's own force and its virial share stay in registers.
    for i in range(n_atoms):
        c = atom_config[i]
        fx = fy = fz = wxx = wyy = wzz = wyz = wxz = wxy = 0.0
        for p in range(first[i], first[i + 1]):
            j, r, vx, vy, vz = neighbour[p], distance[p], vector[p, 0], vector[p, 1], vector[p, 2]
            de_dr = 0.0
            for k in range(K):
                de_dr += t_s[k, i] * dg[k, p]
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
                    d_de_dr += d_t_s[i, k, m] * dg[k, p]
                if 0 <= owner[m] < K:
                    d_de_dr += t_s[owner[m], i] * dg_t[p, m]
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
    if n_t > 0:
        _three_body_forces(program, P, pairs, t_s, d_t_s, bond, bond_t, forces, virial, d_forces, d_virial)
    ok = (np.isfinite(energy).all() and np.isfinite(forces).all() and np.isfinite(virial).all()
          and np.isfinite(d_energy).all() and np.isfinite(d_forces).all() and np.isfinite(d_virial).all())
    return ok, energy, atom_energy, forces, virial, d_energy, d_forces, d_virial


@numba.njit(cache=True, inline="always", error_model="numpy")
def _times_cutoff(v, dv, f, df, out, d_out):
    """out = v f and d_out = dv f + v df, the first len(out) entries: a value and its slope through the cutoff."""
    for b in range(out.shape[0]):
        out[b], d_out[b] = v[b] * f[b], dv[b] * f[b] + v[b] * df[b]


@numba.njit(cache=True, inline="always")
def _cutoff(cut, fc, dfc, p):
    """f and df/dr (1/Å) of pair p in a sum with the smooth cutoff (`cut`), 1 and 0 in a sum without (nocut)."""
    if cut:
        return fc[p], dfc[p]
    return 1.0, 0.0


@numba.njit(cache=True, error_model="numpy")
def _pairs_of_species(pairs, centre, neighbour, chosen):
    """Writes into `chosen` the pairs whose centre is of species `centre` and neighbour of species `neighbour` (-1:
    any), in order; returns how many."""
    first, atom_species, neighbour_species = pairs.first, pairs.atom_species, pairs.neighbour_species
    n = 0
    for i in range(first.shape[0] - 1):
        if centre < 0 or atom_species[i] == centre:
            for p in range(first[i], first[i + 1]):
                if neighbour < 0 or neighbour_species[p] == neighbour:
                    chosen[n] = p
                    n += 1
    return n


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


# Three-body sums. Sum t at atom i is S(i) = ½ Σ_{p≠q} h_t(r_p, r_q, c_pq) fc(r_p) fc(r_q) over the ordered pairs of
# pairs p = (i, j), q = (i, k) of atom i (c = cos θ_jik), which equals Σ_{j<k} of the symmetrised h; when h is symmetric
# in r and s (`KernelProgram.triplet_symmetric`) it runs once per unordered pair, with weight 1. The triplet program
# runs on rows of (r_p, r_q, c) gathered across atoms into batches of BATCH, once: it adds up the sums and, for every
# bond p of the centre, dS(i)/dv_p (a 3-vector per pair); once dT/dS is known, forces and virials follow bond by bond
# as for pair sums (no second pass over the triplets). The bond functions of h, its largest subtrees that read r alone
# or s alone (SW's e^{γ/(r − a)}), run once per bond beforehand, with their derivatives, and enter the triplet program
# as jets.


@numba.njit(cache=True, error_model="numpy")
def _bond_functions(code, arg):
    """Split a triplet program (postfix; inputs r, s, c) at its bond functions: its largest subtrees that read r alone
    or s alone, beyond a bare leaf. Returns the triplet program (code, arg) with bond function b replaced by INPUT
    3 + b; the bond functions as programs of r (s read as r), concatenated (b: fn_code[fn_offsets[b]:fn_offsets[b +
    1]]); and the input each stands for (role: 0 for r, 1 for s)."""
    n = code.shape[0]
    start, reads = np.arange(n), np.zeros(n, np.int64)  # node k's subtree is code[start[k]:k + 1]; the inputs' bits
    stack, top = np.empty(n, np.int64), 0
    for k in range(n):
        if code[k] == INPUT:
            reads[k] = 1 << arg[k]
        elif code[k] != CONST:
            top -= _arity(code[k])
            start[k] = start[stack[top]]
            for operand in stack[top:top + _arity(code[k])]:
                reads[k] |= reads[operand]
        stack[top] = k
        top += 1
    end = np.full(n, -1)  # end[start[k]] = k for bond function k (subtrees met nearest the root first: the largest)
    k = n - 1
    while k >= 0:
        if start[k] < k and (reads[k] == 1 or reads[k] == 2):
            end[start[k]] = k
            k = start[k]
        k -= 1
    triplet_code, triplet_arg = np.empty_like(code), np.empty_like(arg)
    fn_code, fn_arg = np.empty_like(code), np.empty_like(arg)
    fn_offsets, role = np.zeros(n + 1, np.int64), np.empty(n, np.int64)
    n_nodes = n_fns = k = 0
    while k < n:
        if end[k] < 0:
            triplet_code[n_nodes], triplet_arg[n_nodes] = code[k], arg[k]
            k += 1
        else:
            o, size = fn_offsets[n_fns], end[k] + 1 - k
            fn_code[o:o + size], fn_arg[o:o + size] = code[k:k + size], arg[k:k + size]
            for m in range(o, o + size):
                if fn_code[m] == INPUT:
                    fn_arg[m] = 0
            fn_offsets[n_fns + 1], role[n_fns] = o + size, reads[end[k]] >> 1
            triplet_code[n_nodes], triplet_arg[n_nodes] = INPUT, 3 + n_fns
            n_fns += 1
            k += size
        n_nodes += 1
    return (triplet_code[:n_nodes], triplet_arg[:n_nodes], fn_code[:fn_offsets[n_fns]], fn_arg[:fn_offsets[n_fns]],
            fn_offsets[:n_fns + 1], role[:n_fns])


@numba.njit(cache=True, error_model="numpy")
def _next_triplets(pairs, centre, symmetric, cursor, rows, which):
    """Rows (3, BATCH) r_p, r_q (Å), c of the next pairs (p, q) of pairs of a common centre atom i of species `centre`
    (-1: any), ordered (p ≠ q) or, when `symmetric`, unordered (p < q), from cursor (3,) = (i, p, q) on (updated);
    which (3, BATCH) gets their i, p, q. Returns how many (0 when there are no more)."""
    first, distance, vector, atom_species = pairs.first, pairs.distance, pairs.vector, pairs.atom_species
    n_atoms, n = first.shape[0] - 1, 0
    i, p, q = cursor[0], cursor[1], cursor[2]
    while n < BATCH and i < n_atoms:
        if p >= first[i + 1] or (centre >= 0 and atom_species[i] != centre):
            i += 1
            p = q = first[i]
        elif q >= first[i + 1]:
            p += 1
            q = p if symmetric else first[i]
        else:
            if q != p:
                rows[0, n], rows[1, n] = distance[p], distance[q]
                rows[2, n] = (vector[p, 0] * vector[q, 0] + vector[p, 1] * vector[q, 1]
                              + vector[p, 2] * vector[q, 2]) / (distance[p] * distance[q])
                which[0, n], which[1, n], which[2, n] = i, p, q
                n += 1
            q += 1
    cursor[0], cursor[1], cursor[2] = i, p, q
    return n


@numba.njit(cache=True, inline="always")
def _triplet_program(program, t):
    """The code, arguments and constant ids of three-body sum t's triplet program."""
    o, c = program.triplet_offsets, program.triplet_const_offsets
    return (program.triplet_code[o[t]:o[t + 1]], program.triplet_arg[o[t]:o[t + 1]],
            program.triplet_const_ids[c[t]:c[t + 1]])


@numba.njit(cache=True, inline="always", error_model="numpy")
def _add_bond_gradients(h, h_r, h_s, h_c, f_p, f_q, df_p, df_q, v_p, v_q, r_p, r_q, c, grad_p, grad_q):
    """Add d/dv_p and d/dv_q of h f(r_p) f(r_q) to grad_p, grad_q (3,), from h and its partials h_r, h_s, h_c (or
    their derivatives along a constant, which enter the same way), the bond vectors v_p, v_q (Å) and their lengths:
    dr_p/dv_p = v_p/r_p and dc/dv_p = v_q/(r_p r_q) − c v_p/r_p² (and p, q swapped)."""
    de_dr, de_ds, de_dc = (h_r * f_p + h * df_p) * f_q, (h_s * f_q + h * df_q) * f_p, h_c * f_p * f_q
    inv_p, inv_q = 1.0 / r_p, 1.0 / r_q
    along_p, along_q = (de_dr - de_dc * c * inv_p) * inv_p, (de_ds - de_dc * c * inv_q) * inv_q
    across = de_dc * inv_p * inv_q
    for x in range(3):
        grad_p[x] += along_p * v_p[x] + across * v_q[x]
        grad_q[x] += along_q * v_q[x] + across * v_p[x]


@numba.njit(cache=True, error_model="numpy")
def _first_equal(fn_code, fn_arg, fn_offsets, consts):
    """For each bond function b (as `_bond_functions` returns them), the first that computes the same function of r:
    b itself unless an earlier one has equal code and arguments and constants equal to the bit (SW's e^{γ/(r − a)}
    and e^{γ/(s − a)})."""
    bits = consts.view(np.int64)
    source = np.arange(fn_offsets.shape[0] - 1)
    for b in range(source.shape[0]):
        for e in range(b):
            o_b, o_e, size = fn_offsets[b], fn_offsets[e], fn_offsets[b + 1] - fn_offsets[b]
            same = source[e] == e and size == fn_offsets[e + 1] - o_e
            for x in range(size if same else 0):
                u, v = o_b + x, o_e + x
                same = same and fn_code[u] == fn_code[v] and (bits[fn_arg[u]] == bits[fn_arg[v]]
                                                              if fn_code[u] == CONST else fn_arg[u] == fn_arg[v])
            if same:
                source[b] = e
                break
    return source


@numba.njit(cache=True, error_model="numpy")
def _bonds_in_triplets(pairs, centre, chosen):
    """Writes into `chosen` the bonds (pairs) of the atoms of species `centre` (-1: any) that have two or more, the
    bonds some pair of neighbours holds, in order; returns how many."""
    first, atom_species = pairs.first, pairs.atom_species
    n = 0
    for i in range(first.shape[0] - 1):
        if (centre < 0 or atom_species[i] == centre) and first[i + 1] - first[i] > 1:
            for p in range(first[i], first[i + 1]):
                chosen[n] = p
                n += 1
    return n


@numba.njit(cache=True, error_model="numpy")
def _run_on_bonds(code, arg, consts, n_c, distance, chosen, value, first, second, sv, part, live):
    """Run a bond function's program (input r, Å) on the bonds `chosen`: into value (n_pairs,) its values, into
    first (n_pairs, 1 + n_c) its derivatives along r and the first n_c constants and, when second has columns, into
    second (n_pairs, 1 + n_c) the derivatives of d/dr along the same; False on a non-finite value."""
    depth, n_hess = sv.shape[0], 1 if second.shape[1] > 0 else 0
    sg, sh, rows = np.empty((depth, 1 + n_c, BATCH)), np.empty((depth, n_hess, 1 + n_c, BATCH)), np.empty((1, BATCH))
    for q0 in range(0, chosen.shape[0], BATCH):
        n = min(BATCH, chosen.shape[0] - q0)
        for b in range(n):
            rows[0, b] = distance[chosen[q0 + b]]
        if not run_program(code, arg, consts, n_c, rows, n, sv, sg, sh, part, live):
            return False
        for b in range(n):
            p = chosen[q0 + b]
            value[p] = sv[0, b]
            first[p] = sg[0, :, b]
            if n_hess > 0:
                second[p] = sh[0, 0, :, b]
    return True


@numba.njit(cache=True, error_model="numpy")
def _gather_jets(role, source, which, n, value, first, second, jets):
    """Fill jets (run_program's) for the triplet rows 0..n-1 (bonds p, q: which[1], which[2]) from the bond
    functions' value (n_fns, n_pairs), first and second ((n_fns, n_pairs, 1 + n_c), `_run_on_bonds`), function j's
    in row source[j]: one of role 0 (r) reads bond p and moves along direction 0, one of role 1 (s) bond q and
    direction 1; constant m is direction 3 + m. The entries of other directions are left as they are (0)."""
    jet_value, jet_first, jet_second = jets
    for j in range(role.shape[0]):
        d, e = role[j], source[j]
        for b in range(n):
            p = which[1 + d, b]
            jet_value[j, b] = value[e, p]
            jet_first[j, d, b] = first[e, p, 0]
            for m in range(1, first.shape[2]):
                jet_first[j, 2 + m, b] = first[e, p, m]
            if jet_second.shape[1] > 0:
                jet_second[j, d, d, b] = second[e, p, 0]
                for m in range(1, first.shape[2]):
                    jet_second[j, d, 2 + m, b] = second[e, p, m]


@numba.njit(cache=True, error_model="numpy")
def _three_body_sums(program, theta, P, pairs, s, s_t, bond, bond_t):
    """Add the three-body sums of `program` (KernelProgram) with constants theta (P≥,) into s (n_three_body, N), their
    derivatives along the bond vectors of their centre, dS_t(i)/dv_p (1/Å per unit of S), into bond (n_three_body,
    n_pairs, 3) and, when P > 0, their derivatives along the constants into s_t (N, P) and bond_t (n_three_body,
    n_pairs, 3, ≥ the sum's own constants, in the order of its triplet program); False on a non-finite value."""
    depth, distance, vector, fc, dfc = program.depth, pairs.distance, pairs.vector, pairs.fc, pairs.dfc
    K, n_pairs = program.pair_offsets.shape[0] - 1, distance.shape[0]
    rows, which, cursor = np.empty((3, BATCH)), np.empty((3, BATCH), np.int64), np.zeros(3, np.int64)
    part, live, sv = np.empty((5, BATCH)), np.empty(depth, np.bool_), np.empty((depth, BATCH))
    chosen = np.empty(n_pairs, np.int64)
    for t in range(program.triplet_offsets.shape[0] - 1):
        code, arg, cids = _triplet_program(program, t)
        code, arg, fn_code, fn_arg, fn_offsets, role = _bond_functions(code, arg)
        n_c, cut, symmetric = (cids.shape[0] if P > 0 else 0), program.cut[K + t], program.triplet_symmetric[t]
        centre, consts, n_fns, n_hess = program.triplet_centre[t], theta[cids], role.shape[0], 3 if P > 0 else 0
        weight = 1.0 if symmetric else 0.5
        sg, sh = np.empty((depth, 3 + n_c, BATCH)), np.empty((depth, n_hess, 3 + n_c, BATCH))
        value, first = np.empty((n_fns, n_pairs)), np.empty((n_fns, n_pairs, 1 + n_c))
        second = np.empty((n_fns, n_pairs, 1 + n_c if P > 0 else 0))
        jets = np.empty((n_fns, BATCH)), np.zeros((n_fns, 3 + n_c, BATCH)), np.zeros((n_fns, n_hess, 3 + n_c, BATCH))
        n_chosen = _bonds_in_triplets(pairs, centre, chosen) if n_fns > 0 else 0
        # equal functions share one run, unless constant gradients tell their constants apart
        source = _first_equal(fn_code, fn_arg, fn_offsets, consts) if P == 0 else np.arange(n_fns)
        for j in range(n_fns):
            o0, o1 = fn_offsets[j], fn_offsets[j + 1]
            if source[j] == j and not _run_on_bonds(fn_code[o0:o1], fn_arg[o0:o1], consts, n_c, distance,
                                                    chosen[:n_chosen], value[j], first[j], second[j], sv, part, live):
                return False
        cursor[:] = 0
        n = _next_triplets(pairs, centre, symmetric, cursor, rows, which)
        while n > 0:
            _gather_jets(role, source, which, n, value, first, second, jets)
            if not run_program(code, arg, consts, n_c, rows, n, sv, sg, sh, part, live, jets):
                return False
            for b in range(n):
                i, p, q = which[0, b], which[1, b], which[2, b]
                (f_p, df_p), (f_q, df_q) = _cutoff(cut, fc, dfc, p), _cutoff(cut, fc, dfc, q)
                f_p, df_p = weight * f_p, weight * df_p  # the weight enters once, through bond p's cutoff
                r_p, r_q, c = rows[0, b], rows[1, b], rows[2, b]
                s[t, i] += sv[0, b] * f_p * f_q
                _add_bond_gradients(sv[0, b], sg[0, 0, b], sg[0, 1, b], sg[0, 2, b], f_p, f_q, df_p, df_q, vector[p],
                                    vector[q], r_p, r_q, c, bond[t, p], bond[t, q])
                for m in range(n_c):
                    d = 3 + m
                    s_t[i, cids[m]] += sg[0, d, b] * f_p * f_q
                    _add_bond_gradients(sg[0, d, b], sh[0, 0, d, b], sh[0, 1, d, b], sh[0, 2, d, b], f_p, f_q, df_p,
                                        df_q, vector[p], vector[q], r_p, r_q, c, bond_t[t, p, :, m], bond_t[t, q, :, m])
            n = _next_triplets(pairs, centre, symmetric, cursor, rows, which)
    return True


@numba.njit(cache=True, inline="always", error_model="numpy")
def _scatter_bond(scale, grad, v, i, j, forces, virial):
    """Add a bond's scale·dE/dv (grad (3,), eV/Å per unit of scale; v (Å) from atom i to j) to forces (N, 3) and the
    virial (6,): atom i gets +G, j −G, the virial v ⊗ G (Voigt xx yy zz yz xz xy)."""
    gx, gy, gz = scale * grad[0], scale * grad[1], scale * grad[2]
    forces[i, 0] += gx
    forces[i, 1] += gy
    forces[i, 2] += gz
    forces[j, 0] -= gx
    forces[j, 1] -= gy
    forces[j, 2] -= gz
    virial[0] += v[0] * gx
    virial[1] += v[1] * gy
    virial[2] += v[2] * gz
    virial[3] += v[1] * gz
    virial[4] += v[0] * gz
    virial[5] += v[0] * gy


@numba.njit(cache=True, error_model="numpy")
def _three_body_forces(program, P, pairs, t_s, d_t_s, bond, bond_t, forces, virial, d_forces, d_virial):
    """Add the three-body sums' forces (N, 3) and virials (C, 6) and, when P > 0, their constant derivatives
    d_forces (N, 3, P), d_virial (C, 6, P), bond by bond from `_three_body_sums`' bond and bond_t, given the atom
    terms' dT/dS t_s (n_in, N) and its constant derivatives d_t_s (N, n_in, P) (`evaluate`'s pass 2; three-body sum
    t is input n_in − n_three_body + t)."""
    first, neighbour, vector, atom_config, atom_species = (pairs.first, pairs.neighbour, pairs.vector,
                                                           pairs.atom_config, pairs.atom_species)
    K = t_s.shape[0] - bond.shape[0]
    local = np.empty(P, np.int64)  # a constant's place in the triplet program, -1: none
    d_grad = np.empty(3)
    for t in range(bond.shape[0]):
        cids = _triplet_program(program, t)[2]
        local[:] = -1
        if P > 0:
            local[cids] = np.arange(cids.shape[0])
        centre = program.triplet_centre[t]
        for i in range(first.shape[0] - 1):
            if centre >= 0 and atom_species[i] != centre:
                continue
            t_i, config = t_s[K + t, i], atom_config[i]
            for p in range(first[i], first[i + 1]):
                j = neighbour[p]
                _scatter_bond(t_i, bond[t, p], vector[p], i, j, forces, virial[config])
                for m in range(P):
                    for x in range(3):
                        d_grad[x] = d_t_s[i, K + t, m] * bond[t, p, x]
                        if local[m] >= 0:
                            d_grad[x] += t_i * bond_t[t, p, x, local[m]]
                    _scatter_bond(1.0, d_grad, vector[p], i, j, d_forces[:, :, m], d_virial[config, :, m])


# The batched path (`evaluate_many`): M constant vectors of one formula at once, for CMA-ES populations. A stack
# entry is an (M, n) array (vector m, row b at m*n + b: the loops over rows are long and contiguous) of values with
# one tangent each (dual numbers), held only as finely as it varies: an entry of r alone once per row, an entry of
# constants alone once per vector. Powers are exp(y ln x) in plain arithmetic that vectorises (vector_math), with
# ln x once per row when the base is r alone, as in r^c.

# How an entry varies: with the row (r, the sums), the vector (constants), or both; numpy ints, which numba does not
# treat as literals (one compilation of run_program_many, not one per kind of input).
BY_ROW, BY_VECTOR, BY_BOTH = np.int64(1), np.int64(2), np.int64(3)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _dual_op(partials, x, dx, y, dy, x_held, y_held, held_x, held_y, live_x, live_y):
    """x, dx = op(x, y), ∂x·dx + ∂y·dy on (rows, n) entries for the primitive whose `partials` are given; an operand
    held once per row's vector (held_x, held_y) is read from x_held, y_held (rows,) instead. A tangent that is not
    live counts as 0 (never as 0·∂, which is NaN where a partial does not exist)."""
    for m in range(x.shape[0]):
        x_m, y_m = x_held[m], y_held[m]
        for b in range(x.shape[1]):
            v, v_x, v_y, _, _, _ = partials(x_m if held_x else x[m, b], y_m if held_y else y[m, b], live_y)
            dx[m, b] = (v_x * dx[m, b] if live_x else 0.0) + (v_y * dy[m, b] if live_y else 0.0)
            x[m, b] = v


_dual_apply = _dispatch(_dual_op, "x, dx, y, dy, x_held, y_held, held_x, held_y, live_x, live_y")


@numba.njit(cache=True, error_model="numpy")
def _dual_pow(x, dx, rows, y, dy, y_held, held_y, live_x, live_y, work):
    """x, dx = x ** y and its tangent on (M, n) entries, the base held in the first `rows` rows of x, dx (1: the
    same base for every vector, or M), the exponent in y, dy or, when held_y, once per vector in y_held (M,).
    x ** y = exp(y ln x), ln x once per held base; a base that is not a positive normal number takes libm's pow.
    work (4, ≥rows·n) scratch."""
    M, n = x.shape
    base, d_base = work[0, :rows * n].reshape((rows, n)), work[1, :rows * n].reshape((rows, n))
    log_base, rel = work[2, :rows * n].reshape((rows, n)), work[3, :rows * n].reshape((rows, n))
    for h in range(rows):
        for b in range(n):
            base[h, b], d_base[h, b], log_base[h, b] = x[h, b], dx[h, b], vector_math.log(x[h, b])
            rel[h, b] = dx[h, b] / x[h, b] if live_x else 0.0
    for m in range(M):
        h, y_m = (m if rows > 1 else 0), y_held[m]
        for b in range(n):
            exponent = y_m if held_y else y[m, b]
            v = vector_math.exp(exponent * log_base[h, b])
            dx[m, b] = v * ((exponent * rel[h, b] if live_x else 0.0) + (dy[m, b] * log_base[h, b] if live_y else 0.0))
            x[m, b] = v
    for h in range(rows):
        for b in range(n):
            if log_base[h, b] != log_base[h, b]:
                for m in range(M):
                    if rows == 1 or m == h:
                        exponent = y_held[m] if held_y else y[m, b]
                        v, v_x, v_y, _, _, _ = _pow_partials(base[h, b], exponent, live_y)
                        dx[m, b] = (v_x * d_base[h, b] if live_x else 0.0) + (v_y * dy[m, b] if live_y else 0.0)
                        x[m, b] = v


@numba.njit(cache=True, error_model="numpy")
def _dual_exp(x, dx):
    """x, dx = exp(x), exp(x)·dx on (M, n) entries, vectorised (libm's exp is a call per element)."""
    for m in range(x.shape[0]):
        for b in range(x.shape[1]):
            v = vector_math.exp(x[m, b])
            dx[m, b] *= v
            x[m, b] = v


@numba.njit(cache=True, inline="always", error_model="numpy")
def _spread(x, dx):
    """Copy row 0 of x, dx ((M, n)) to the other rows: an entry held once per row becomes one per vector and row."""
    for m in range(1, x.shape[0]):
        x[m] = x[0]
        dx[m] = dx[0]


@numba.njit(cache=True, fastmath={"reassoc"}, error_model="numpy")
def _column_faults(x, fault):
    """fault[m] turns NaN when row m of x ((M, n)) holds a NaN or ±inf (v - v is NaN exactly for those)."""
    for m in range(x.shape[0]):
        s = 0.0
        for b in range(x.shape[1]):
            s += x[m, b] - x[m, b]
        fault[m] += s


@numba.njit(cache=True, error_model="numpy")
def run_program_many(code, arg, consts, inputs, d_inputs, input_kind, n, sv, sd, sc, kind, fault, work):
    """Evaluate a postfix program for M constant vectors at once on rows 0..n-1, with one tangent per entry.

    Every entry is held as finely as it varies (`kind`): BY_BOTH as (M, n) values and tangents in sv, sd; BY_ROW
    (it depends on no constant) once per row, in the first n of sv, sd; BY_VECTOR (it depends on no input) once per
    vector, in sc, with a zero tangent. consts (n_local, M): the constants, one column per vector. inputs and their
    tangents d_inputs (n_in, ≥M·n) are of `input_kind` (BY_ROW: r in a pair program; BY_BOTH: the sums). Work
    arrays, result in entry 0 (its first M·n values, BY_BOTH): sv, sd (depth, ≥M·n); sc (depth, M); kind (depth,);
    work (4, ≥M·n). fault (M + 1,): fault[m] turns NaN once vector m meets a non-finite value, fault[M] once an
    entry held once per row does.
    """
    M = consts.shape[1]
    top = 0
    for k in range(code.shape[0]):
        op = code[k]
        if op == CONST:
            sc[top] = consts[arg[k]]
            kind[top] = BY_VECTOR
            top += 1
            continue
        if op == INPUT:
            size = n if input_kind == BY_ROW else M * n
            sv[top, :size], sd[top, :size] = inputs[arg[k], :size], d_inputs[arg[k], :size]
            kind[top] = input_kind
            top += 1
            continue
        arity = _arity(op)
        a, c = top - arity, top - 1
        result = kind[a] | kind[c]
        live_a, live_c = kind[a] & BY_ROW != 0, kind[c] & BY_ROW != 0 and arity == 2
        if result == BY_VECTOR:
            for m in range(M):
                sc[a, m] = _scalar(op, sc[a, m], sc[c, m])
            _column_faults(sc[a].reshape((M, 1)), fault)
            kind[a] = result
            top = a + 1
            continue
        rows = 1 if result == BY_ROW else M
        x, dx = sv[a, :rows * n].reshape((rows, n)), sd[a, :rows * n].reshape((rows, n))
        y, dy = sv[c, :rows * n].reshape((rows, n)), sd[c, :rows * n].reshape((rows, n))
        if result == BY_BOTH and kind[c] == BY_ROW:
            _spread(y, dy)
        if result == BY_BOTH and op == EXP:
            _dual_exp(x, dx)
        elif result == BY_BOTH and op == POW:
            if kind[a] == BY_VECTOR:  # a base per vector, such as c^r: one per entry
                for m in range(M):
                    x[m] = sc[a, m]
            _dual_pow(x, dx, 1 if kind[a] == BY_ROW else M, y, dy, sc[c], kind[c] == BY_VECTOR, live_a, live_c,
                      work)
        else:
            if result == BY_BOTH and kind[a] == BY_ROW:
                _spread(x, dx)
            _dual_apply(op, x, dx, y, dy, sc[a], sc[c], kind[a] == BY_VECTOR, kind[c] == BY_VECTOR, live_a, live_c)
        _column_faults(x, fault[M:] if result == BY_ROW else fault)
        kind[a] = result
        top = a + 1
    x, dx = sv[0, :M * n].reshape((M, n)), sd[0, :M * n].reshape((M, n))
    if kind[0] == BY_ROW:
        _spread(x, dx)
    elif kind[0] == BY_VECTOR:
        for m in range(M):
            x[m] = sc[0, m]
        dx[:] = 0.0


@numba.njit(cache=True, fastmath={"reassoc"}, error_model="numpy")
def _sums_and_slopes(g, slope, cut, fc, dfc, first, s):
    """Sums S = Σ_p g fc of a block of atoms, and slopes d(g fc)/dr = dg fc + g dfc in place of dg (without the
    smooth cutoff, `cut` False: S = Σ_p g, and the slopes stay dg).

    The block's atom b owns pairs first[b]:first[b+1] (global indices into fc, dfc; the block's pair q is global
    pair first[0] + q). g, slope (M, n) pair terms and dg/dr of the block's n pairs; s (M, n_atoms) out.
    """
    for b in range(s.shape[1]):
        p0, p1 = first[b], first[b + 1]
        f_b, df_b = fc[p0:p1], dfc[p0:p1]
        for m in range(g.shape[0]):
            g_b, slope_b = g[m, p0 - first[0]:p1 - first[0]], slope[m, p0 - first[0]:p1 - first[0]]
            acc = 0.0
            for q in range(p1 - p0):
                f, df = _cutoff(cut, f_b, df_b, q)
                acc += g_b[q] * f
                slope_b[q] = slope_b[q] * f + g_b[q] * df
            s[m, b] = acc


@numba.njit(cache=True, error_model="numpy")
def _scatter_forces(i0, i1, first, neighbour, distance, vector, atom_config, de_dr, forces, virial, geometry, own):
    """Add the pair derivatives de_dr (n, M) eV/Å of atoms i0..i1-1 (their pairs, from first[i0] on) to forces
    (N, 3, M) eV/Å and virials (C, 6, M) eV (Voigt), as `evaluate` does for one vector.

    Each pair's reaction on its neighbour is scattered; atom i's own force and virial, Σ_p (v/r, v_a v_b/r)·dE/dr_p,
    are one small matrix product (geometry (≥ pairs of an atom, 9) and own (9, M) are scratch).
    """
    p0 = first[i0]
    for i in range(i0, i1):
        for p in range(first[i], first[i + 1]):
            inv_r = 1.0 / distance[p]
            ux, uy, uz = vector[p, 0] * inv_r, vector[p, 1] * inv_r, vector[p, 2] * inv_r
            g = geometry[p - first[i]]
            g[0], g[1], g[2] = ux, uy, uz
            g[3], g[4], g[5] = ux * vector[p, 0], uy * vector[p, 1], uz * vector[p, 2]
            g[6], g[7], g[8] = uy * vector[p, 2], ux * vector[p, 2], ux * vector[p, 1]
            reaction, de_dr_p = forces[neighbour[p]], de_dr[p - p0]
            for m in range(de_dr_p.shape[0]):
                reaction[0, m] -= de_dr_p[m] * ux
                reaction[1, m] -= de_dr_p[m] * uy
                reaction[2, m] -= de_dr_p[m] * uz
        if first[i + 1] > first[i]:
            np.dot(geometry[:first[i + 1] - first[i]].T, de_dr[first[i] - p0:first[i + 1] - p0], own)
            forces[i] += own[:3]
            virial[atom_config[i]] += own[3:]


@numba.njit(cache=True, error_model="numpy")
def _by_vector(x, fault):
    """x (R, M) as (M, R), each vector's results together; fault[m] turns NaN when x[:, m] is not all finite."""
    by_vector = np.empty((x.shape[1], x.shape[0]))
    for i in range(x.shape[0]):
        for m in range(x.shape[1]):
            by_vector[m, i] = x[i, m]
            fault[m] += x[i, m] - x[i, m]
    return by_vector


@numba.njit(cache=True, error_model="numpy")
def _carve(work, sizes):
    """Consecutive 1-D pieces of the given sizes out of work (1-D), which is replaced by a larger array when too
    small; returns work and the pieces."""
    if work.shape[0] < sizes.sum():
        work = np.empty(sizes.sum())
    ends = np.cumsum(sizes)
    return work, [work[end - size:end] for size, end in zip(sizes, ends)]


@numba.njit(cache=True, error_model="numpy")
def _blocks(first, cap):
    """Atom indices 0 = i_0 < i_1 < … = N cutting the atoms (atom i owns pairs first[i]:first[i+1]) into blocks of
    at most `cap` pairs, or of one atom with more."""
    n_atoms = first.shape[0] - 1
    blocks = [0]
    for i in range(n_atoms):
        if i > blocks[-1] and first[i + 1] - first[blocks[-1]] > cap:
            blocks.append(i)
    blocks.append(n_atoms)
    return np.array(blocks)


@numba.njit(cache=True, error_model="numpy")
def _choose_pairs(i0, i1, first, atom_species, neighbour_species, distance, centre, neighbour, chosen, r):
    """The pairs of atoms i0..i1-1 (from first[i0] on) whose centre and neighbour have the species `centre` and
    `neighbour` (-1: any): their indices within the block into chosen, their distances into r[0]; returns how many."""
    n = 0
    for i in range(i0, i1):
        if centre >= 0 and atom_species[i] != centre:
            continue
        for p in range(first[i], first[i + 1]):
            if neighbour < 0 or neighbour_species[p] == neighbour:
                chosen[n], r[0, n] = p - first[i0], distance[p]
                n += 1
    return n


@numba.njit(cache=True, error_model="numpy")
def _spread_rows(x, chosen, n_chosen, n, M, row):
    """x[:M·n_chosen] holds (M, n_chosen) values of the chosen entries of rows of n: make it (M, n), zeros in
    between, in place (rows last to first, each through `row` (≥ n_chosen) scratch: row m never reaches back into
    the compact rows before it)."""
    for m in range(M - 1, -1, -1):
        row[:n_chosen] = x[m * n_chosen:(m + 1) * n_chosen]
        x[m * n:(m + 1) * n] = 0.0
        for j in range(n_chosen):
            x[m * n + chosen[j]] = row[j]


@numba.njit(cache=True, error_model="numpy")
def _atom_terms(code, arg, consts, s, d_s, n_a, M, sv, sd, sc, kind, fault, pow_work, t, t_s):
    """The atom terms T into t (M, ≥n_a) and dT/dS_k into t_s (K, ≥n_a, M) of n_a atoms with sums s (K, ≥M·n_a:
    atom b of vector m at m·n_a + b; whole arrays, so that run_program_many is compiled for one array type), one
    tangent direction per run of the program (and one run without sums); sv, sd, sc, kind: the stack from entry K
    on."""
    K = s.shape[0]
    for k in range(max(K, 1)):
        d_s[:, :M * n_a] = 0.0
        if k < K:
            d_s[k, :M * n_a] = 1.0
        run_program_many(code, arg, consts, s, d_s, BY_BOTH, n_a, sv, sd, sc, kind, fault, pow_work)
        if k < K:
            t_s[k, :n_a] = sd[0, :M * n_a].reshape((M, n_a)).T
    t[:, :n_a] = sv[0, :M * n_a].reshape((M, n_a))


@numba.njit(cache=True, error_model="numpy")
def evaluate_many(program, thetas, pairs, work):
    """`evaluate` without gradients for each row of thetas (M, P), in one pass over the pairs for all of them.

    Atoms are taken in blocks (whole atoms, about ROWS / M pairs): pair terms and sums, atom terms, then forces and
    virials, each for the M vectors at once. A sum over the pairs of some species runs its program on those pairs
    only, and each species' atoms run their own program (gathered), as in `evaluate`. Results agree with `evaluate`
    up to rounding (powers are exp(y ln x), within a few ulp of y·ln x; sums add in another order); ok[m] is False
    exactly where `evaluate` fails. `work` (1-D) is scratch, grown when too small and returned for the next call (a
    large fresh array costs a page fault per 4 kB). Returns ok (M,), energy (M, C) eV, forces (M, N, 3) eV/Å, virial
    (M, C, 6) eV (as `evaluate`), work. No three-body sums (ValueError): Evaluator.batch takes those one vector at
    a time.
    """
    (atom_code, atom_arg, atom_offsets, atom_cids, atom_coffsets, program_of_species, pair_code, pair_arg,
     pair_offsets, pair_cids, pair_coffsets, pair_centre, pair_neighbour, _, _, triplet_offsets, _, _, _, _, cut,
     depth) = program
    if triplet_offsets.shape[0] > 1:
        raise ValueError("evaluate_many takes no three-body sums")
    first, neighbour, distance, vector, fc, dfc, atom_config, n_configs, atom_species, neighbour_species = pairs
    M, n_atoms, K = thetas.shape[0], atom_config.shape[0], pair_offsets.shape[0] - 1
    n_programs = atom_offsets.shape[0] - 1
    one_term = n_programs == 1 and (program_of_species == 0).all()  # every atom runs program 0: no gathering
    most_pairs = 0
    for i in range(n_atoms):
        most_pairs = max(most_pairs, first[i + 1] - first[i])
    cap = max(ROWS // max(M, 1), most_pairs)  # pairs (and atoms) per block
    # Pair program k runs on stack entries k.., so that its result (entry k) outlives the later programs.
    L = max(M, 1) * cap  # entries of a stack level (M·n, or n for one held once per row)
    gathered = 0 if one_term else 1  # scratch of the gathered atoms: their sums, T and dT/dS
    sizes = np.array([(K + depth) * L, (K + depth) * L, 4 * L, K * L, K * L, K * cap * M, cap * M, n_atoms * 3 * M,
                      cap * M, gathered * K * L, gathered * cap * M, gathered * K * cap * M])
    work, parts = _carve(work, sizes)
    sv, sd, pow_work = parts[0].reshape((K + depth, L)), parts[1].reshape((K + depth, L)), parts[2].reshape((4, L))
    s, d_s, t_s = parts[3].reshape((K, L)), parts[4].reshape((K, L)), parts[5].reshape((K, cap, M))
    de_dr, forces, t = parts[6].reshape((cap, M)), parts[7].reshape((n_atoms, 3, M)), parts[8].reshape((M, cap))
    s_chosen = parts[9].reshape((K, gathered * L))
    t_chosen, t_s_chosen = parts[10].reshape((M, gathered * cap)), parts[11].reshape((K, gathered * cap, M))
    sc, kind, r, d_r = np.empty((K + depth, M)), np.empty(K + depth, np.int64), np.empty((1, cap)), np.ones((1, cap))
    r_chosen, chosen, row = np.empty((1, cap)), np.empty(cap, np.int64), np.empty(cap)
    geometry, own, fault = np.empty((most_pairs, 9)), np.empty((9, M)), np.zeros(M + 1)
    pair_consts = [np.ascontiguousarray(thetas[:, pair_cids[pair_coffsets[k]:pair_coffsets[k + 1]]].T)
                   for k in range(K)]
    atom_consts = [np.ascontiguousarray(thetas[:, atom_cids[atom_coffsets[a]:atom_coffsets[a + 1]]].T)
                   for a in range(n_programs)]
    energy, virial = np.zeros((n_configs, M)), np.zeros((n_configs, 6, M))
    forces[:] = 0.0
    blocks = _blocks(first, cap)
    for block in range(blocks.shape[0] - 1):
        i0, i1 = blocks[block], blocks[block + 1]  # the block's atoms, and their n pairs from p0
        p0, n, n_a = first[i0], first[i1] - first[i0], i1 - i0
        # Pair terms g_k (entry k) with their slopes d(g_k fc)/dr, and the sums S_k of each atom.
        r[0, :n] = distance[p0:p0 + n]
        for k in range(K):
            code, arg = pair_code[pair_offsets[k]:pair_offsets[k + 1]], pair_arg[pair_offsets[k]:pair_offsets[k + 1]]
            if pair_centre[k] < 0 and pair_neighbour[k] < 0:
                run_program_many(code, arg, pair_consts[k], r, d_r, BY_ROW, n, sv[k:], sd[k:], sc[k:], kind[k:],
                                 fault, pow_work)
            else:  # the chosen pairs only (others add nothing, and must not fault), then spread with zeros between
                n_k = _choose_pairs(i0, i1, first, atom_species, neighbour_species, distance, pair_centre[k],
                                    pair_neighbour[k], chosen, r_chosen)
                run_program_many(code, arg, pair_consts[k], r_chosen, d_r, BY_ROW, n_k, sv[k:], sd[k:], sc[k:],
                                 kind[k:], fault, pow_work)
                _spread_rows(sv[k], chosen, n_k, n, M, row)
                _spread_rows(sd[k], chosen, n_k, n, M, row)
            _sums_and_slopes(sv[k, :M * n].reshape((M, n)), sd[k, :M * n].reshape((M, n)), cut[k], fc, dfc,
                             first[i0:i1 + 1], s[k, :M * n_a].reshape((M, n_a)))
        # Atom terms T and dT/dS_k: one program for all atoms, or each species' atoms gathered for theirs.
        if one_term:
            _atom_terms(atom_code, atom_arg, atom_consts[0], s, d_s, n_a, M, sv[K:], sd[K:], sc[K:], kind[K:], fault,
                        pow_work, t, t_s)
        else:
            t[:, :n_a] = 0.0  # atoms of a species without a term contribute nothing
            t_s[:, :n_a] = 0.0
            for a in range(n_programs):
                n_c = 0
                for b in range(n_a):
                    if program_of_species[atom_species[i0 + b]] == a:
                        chosen[n_c] = b
                        n_c += 1
                if n_c == 0:
                    continue
                for k in range(K):
                    for m in range(M):
                        for j in range(n_c):
                            s_chosen[k, m * n_c + j] = s[k, m * n_a + chosen[j]]
                a0, a1 = atom_offsets[a], atom_offsets[a + 1]
                _atom_terms(atom_code[a0:a1], atom_arg[a0:a1], atom_consts[a], s_chosen, d_s, n_c, M, sv[K:], sd[K:],
                            sc[K:], kind[K:], fault, pow_work, t_chosen, t_s_chosen)
                for j in range(n_c):
                    t[:, chosen[j]] = t_chosen[:, j]
                    t_s[:, chosen[j]] = t_s_chosen[:, j]
        for b in range(n_a):
            energy[atom_config[i0 + b]] += t[:, b]
        # dE/dr_p = Σ_k dT/dS_k(i)·d(g_k fc)/dr, then forces and virials.
        de_dr[:n] = 0.0
        for k in range(K):
            slope = sd[k, :M * n].reshape((M, n))
            for b in range(n_a):
                for q in range(first[i0 + b] - p0, first[i0 + b + 1] - p0):
                    for m in range(M):
                        de_dr[q, m] += t_s[k, b, m] * slope[m, q]
        _scatter_forces(i0, i1, first, neighbour, distance, vector, atom_config, de_dr, forces, virial, geometry, own)
    energy, forces = _by_vector(energy, fault), _by_vector(forces.reshape((n_atoms * 3, M)), fault)
    virial = _by_vector(virial.reshape((n_configs * 6, M)), fault)
    ok = (fault[:M] == 0.0) & (fault[M] == 0.0)
    return ok, energy, forces.reshape((M, n_atoms, 3)), virial.reshape((M, n_configs, 6)), work
