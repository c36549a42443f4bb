"""The smallest useful run config for tests: 2 islands of 8 on two shipped Sutton–Chen temperatures."""
from symbolicpot.data import example_path

TEMPLATE = """
seed = {seed}
[data]
train = ["{data}/300K", "{data}/3800K"]
test_fraction = 0.3
[search]
islands = 2
population = 8
immigrants = 2
migration_interval = {migration_interval}
workers = 1
[stop]
generations = {generations}
[operators]
max_size = 16
[tuning]
polish = "cg"  # the Levenberg-Marquardt polish is not yet bit-reproducible from process to process
polish_evaluations = 5
cma_evaluations = 16
cma_popsize = 8
"""


def tiny_config(seed=3, generations=2, data=None, migration_interval=1):
    """TOML text of the tiny run config (data: a folder holding the shipped 300K and 3800K POET folders)."""
    return TEMPLATE.format(seed=seed, generations=generations, data=data or example_path("sutton_chen"),
                           migration_interval=migration_interval)
