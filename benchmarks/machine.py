"""The machine a benchmark ran on: CPU model, logical cores and SIMD vector extensions, from /proc/cpuinfo (Linux).

Benchmarks print `describe()` (or put `machine()` in their JSON) so that numbers from different machines are not
compared blindly. Usage: python benchmarks/machine.py
"""
import json
import os
import platform
from pathlib import Path

VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni",
                "avx512_bf16", "amx_tile")


def machine(cpuinfo=Path("/proc/cpuinfo")):
    """{"cpu": model name, "logical_cores": n, "vector_extensions": [flags of VECTOR_FLAGS the CPU has]}; the model
    falls back to platform.processor() and the flags to [] where /proc/cpuinfo is missing."""
    fields = {}
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())  # the first processor's entry
    flags = set(fields.get("flags", "").split())
    return {"cpu": fields.get("model name") or platform.processor() or platform.machine(),
            "logical_cores": os.cpu_count(), "vector_extensions": [flag for flag in VECTOR_FLAGS if flag in flags]}


def describe():
    """One line: "CPU: AMD EPYC, 2 logical cores, vector extensions: avx avx2 fma"."""
    info = machine()
    return (f"CPU: {info['cpu']}, {info['logical_cores']} logical cores, vector extensions: "
            f"{' '.join(info['vector_extensions']) or 'none found'}")


if __name__ == "__main__":
    print(json.dumps(machine()))
