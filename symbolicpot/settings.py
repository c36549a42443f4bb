"""SettingError: a setting of an engine object (OperatorConfig, TuningConfig, SearchConfig, CostModel,
PropertyTargets) that breaks its rule. It names its owner and field, so that the run config can name the key a user
wrote (run.config) without reading the message."""


class SettingError(ValueError):
    """`owner` (the engine class's name), `field` (its field, perhaps indexed: "pair_ns['+']"; "" for the whole
    object) and `reason`; its text is "Owner.field: reason" ("Owner: reason" without a field)."""

    def __init__(self, owner, field, reason):
        super().__init__(f"{owner}.{field}: {reason}" if field else f"{owner}: {reason}")
        self.owner, self.field, self.reason = owner, field, reason

    def __reduce__(self):  # pickles (process pools, Dask) with its three parts
        return SettingError, (self.owner, self.field, self.reason)
